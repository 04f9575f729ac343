"""Sequential models: strikebench's training sequences and evaluation inputs are RecBole's own.

RecBole's reference is its own SequentialDataset: ``create_dataset`` for a sequential model,
then ``build()`` with the time-ordered leave-one-out split (split=sequential), which augments
every interaction into (history -> next item) rows. strikebench instead augments only the rows a
company holds; with no lever the two must agree row for row.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf

from strikebench import compat
from strikebench.data.split import make_split
from strikebench.errors import ConfigError
from strikebench.training.models import build_model
from strikebench.training.scoring import score_function
from strikebench.training.sequences import sequential_dataset, time_ordered, user_sequences
from tests.conftest import TINY_SETTINGS

MAX_LEN = 4  # tiny users have 10 interactions: sequences get truncated
SEQ_SPLIT = OmegaConf.create({"seed": 2020, "order": "TO", "mode": "LS", "ratios": [0.8, 0.1, 0.1]})


def _gru4rec_config(tmp_path, **extra):
    settings = dict(
        TINY_SETTINGS, data_path=str(tmp_path / "data"), checkpoint_dir=str(tmp_path / "saved"),
        show_progress=False, MAX_ITEM_LIST_LENGTH=MAX_LEN, train_neg_sample_args=None, loss_type="CE",
        embedding_size=8, hidden_size=8, train_batch_size=16,
        eval_args={"split": {"LS": "valid_and_test"}, "order": "TO", "group_by": "user", "mode": "full"},
        **extra,
    )
    return compat.recbole_config("GRU4Rec", "tiny", settings)


@pytest.fixture
def recbole_sequential(tiny_data, tmp_path):
    """RecBole's own train / valid / test SequentialDatasets for the tiny data."""
    from recbole.data import create_dataset

    config = _gru4rec_config(tmp_path)
    dataset = create_dataset(config)
    assert type(dataset).__name__ == "SequentialDataset"
    assert list(dataset.field2id_token["item_id"]) == list(tiny_data.item_tokens)
    assert list(dataset.field2id_token["user_id"]) == list(tiny_data.user_tokens)
    return config, dataset.build()


def _rows(inter, fields):
    """An Interaction as a sorted list of tuples, for order-free comparison."""
    columns = [inter[f].numpy() for f in fields]
    return sorted(tuple(x for c in columns for x in np.atleast_1d(c[i]).tolist()) for i in range(len(inter)))


def test_split_matches_recbole_leave_one_out(tiny_data, recbole_sequential):
    _, (train, valid, test) = recbole_sequential
    split = make_split(tiny_data.user, tiny_data.timestamp, SEQ_SPLIT)
    # RecBole's augmented train rows are the training interactions that have a history: all but
    # each user's first.
    ordered = time_ordered(tiny_data, split.train)
    first = np.r_[True, tiny_data.user[ordered][1:] != tiny_data.user[ordered][:-1]]
    for ours, theirs in ((ordered[~first], train), (split.valid, valid), (split.test, test)):
        pairs = sorted(zip(tiny_data.user[ours].tolist(), tiny_data.item[ours].tolist()))
        assert pairs == sorted(zip(theirs.inter_feat["user_id"].tolist(), theirs.inter_feat["item_id"].tolist()))


def test_training_sequences_equal_recbole_augmentation(tiny_data, recbole_sequential):
    config, (train, _, _) = recbole_sequential
    split = make_split(tiny_data.user, tiny_data.timestamp, SEQ_SPLIT)
    ours = sequential_dataset(config, tiny_data, split.train)
    fields = ["user_id", "item_id", "item_length", "item_id_list", "timestamp_list", "rating_list"]
    assert type(ours).__name__ == "SequentialDataset"
    assert set(fields) <= set(ours.inter_feat.columns)
    assert _rows(ours.inter_feat, fields) == _rows(train.inter_feat, fields)
    assert ours.field2seqlen["item_id_list"] == MAX_LEN
    # The shared dataset is untouched: its field tables have no list fields.
    assert "item_id_list" not in tiny_data.recbole_dataset.field2type


def test_augmentation_equals_recbole_loop_on_company_rows(tiny_data, tmp_path):
    """On an arbitrary subset of rows (what a lever leaves), the vectorised augmentation gives
    what RecBole's own data_augmentation gives on a dataset of those rows."""
    import copy

    from recbole.data.dataset import SequentialDataset

    config = _gru4rec_config(tmp_path)
    rows = np.sort(np.random.default_rng(3).choice(len(tiny_data), size=40, replace=False))
    ours = sequential_dataset(config, tiny_data, rows)

    theirs = copy.copy(tiny_data.recbole_dataset)
    theirs.__class__ = SequentialDataset
    theirs.field2type, theirs.field2source = dict(theirs.field2type), dict(theirs.field2source)
    theirs.field2seqlen = dict(theirs.field2seqlen)
    theirs.config = config
    theirs.max_item_list_len, theirs.item_list_length_field = MAX_LEN, "item_length"
    theirs.inter_feat = tiny_data.recbole_dataset.inter_feat[torch.as_tensor(rows)]
    theirs.data_augmentation()

    fields = ["user_id", "item_id", "item_length", "item_id_list", "timestamp_list", "rating_list"]
    for name in fields:  # same rows in the same order
        assert torch.equal(ours.inter_feat[name], theirs.inter_feat[name]), name


def test_time_order_breaks_ties_by_row_as_recbole_sort(tiny_data):
    from recbole.data.interaction import Interaction

    user = np.array([2, 1, 2, 1, 2, 1])
    time = np.array([5.0, 7.0, 5.0, 3.0, 1.0, 7.0])

    class Data:  # the two columns time_ordered reads
        pass

    data = Data()
    data.user, data.timestamp = user, time
    order = time_ordered(data, np.arange(6))
    inter = Interaction({"u": torch.as_tensor(user), "t": torch.as_tensor(time), "row": torch.arange(6)})
    inter.sort(by=["u", "t"])
    assert order.tolist() == inter["row"].tolist() == [3, 1, 5, 4, 0, 2]


def test_evaluation_sequences_equal_recbole_valid_and_test_inputs(tiny_data, recbole_sequential):
    """Validation predicts from the train rows, the test from train + valid, truncated to the
    last MAX_ITEM_LIST_LENGTH items: RecBole's valid and test rows hold exactly these."""
    config, (_, valid, test) = recbole_sequential
    split = make_split(tiny_data.user, tiny_data.timestamp, SEQ_SPLIT)
    for rows, theirs in ((split.train, valid), (np.concatenate([split.train, split.valid]), test)):
        sequences = user_sequences(config, tiny_data, rows, "cpu")
        users = theirs.inter_feat["user_id"]
        fields = sequences.fields(users)
        assert torch.equal(fields["item_id_list"], theirs.inter_feat["item_id_list"])
        assert torch.equal(fields["item_length"], theirs.inter_feat["item_length"])


def test_scores_equal_recbole_full_sort_on_its_test_rows(tiny_data, recbole_sequential):
    config, (train, _, test) = recbole_sequential
    split = make_split(tiny_data.user, tiny_data.timestamp, SEQ_SPLIT)
    model = build_model("GRU4Rec", config, sequential_dataset(config, tiny_data, split.train)).eval()
    sequences = user_sequences(config, tiny_data, np.concatenate([split.train, split.valid]), "cpu")
    score = score_function(model, "user_id", "item_id", tiny_data.n_items, sequences)
    users = test.inter_feat["user_id"]
    with torch.no_grad():
        theirs = model.full_sort_predict(test.inter_feat).view(len(users), -1)
        assert torch.allclose(score(users), theirs)


def test_removed_rows_vanish_from_a_users_sequence(tiny_data, tmp_path):
    config = _gru4rec_config(tmp_path)
    u = int(tiny_data.user[0])
    mine = np.nonzero(tiny_data.user == u)[0]
    others = np.nonzero(tiny_data.user != u)[0]
    by_time = mine[np.argsort(tiny_data.timestamp[mine], kind="stable")]
    kept = by_time[[0, 2, 5]]  # a lever removed the other seven rows
    sequences = user_sequences(config, tiny_data, np.concatenate([others, kept]), "cpu")
    fields = sequences.fields(torch.tensor([u]))
    assert fields["item_length"].tolist() == [3]
    assert fields["item_id_list"][0].tolist() == tiny_data.item[kept].tolist() + [0]
    # All of a participant's rows struck: no sequence (the evaluator ranks them by popularity).
    sequences = user_sequences(config, tiny_data, others, "cpu")
    fields = sequences.fields(torch.tensor([u]))
    assert fields["item_length"].tolist() == [1] and fields["item_id_list"].abs().sum() == 0


@pytest.mark.parametrize("model", ["gru4rec", "sasrec", "bert4rec"])
def test_sequential_models_refuse_a_random_order_split(model, compose_cfg):
    from strikebench.app.validate import validate

    with pytest.raises(ConfigError, match=r"split\.order.*split=sequential"):
        validate(compose_cfg([f"model={model}"]))
    validate(compose_cfg([f"model={model}", "split=sequential"]))  # no error


def test_split_sequential_is_time_ordered_leave_one_out(compose_cfg):
    cfg = compose_cfg(["split=sequential"])
    assert (cfg.split.order, cfg.split.mode) == ("TO", "LS")
    cfg = compose_cfg([])
    assert (cfg.split.order, cfg.split.mode, list(cfg.split.ratios)) == ("RO", "RS", [0.8, 0.1, 0.1])
    assert compose_cfg(["split.seed=7"]).split.seed == 7
