"""The fixed split follows RecBole's eval_args semantics and is made once, independently of models."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from strikebench.data.split import make_split, ratio_cut_points
from strikebench.errors import ConfigError

RS = {"seed": 7, "order": "RO", "mode": "RS", "ratios": [0.8, 0.1, 0.1]}


@pytest.mark.parametrize("total", [1, 2, 3, 5, 9, 10, 11, 23, 100])
def test_cut_points_equal_recbole(total):
    from recbole.data.dataset import Dataset

    for ratios in ([0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.6, 0.2, 0.2]):
        assert ratio_cut_points(total, ratios) == Dataset._calcu_split_ids(None, total, ratios)


def test_ratio_split_by_hand():
    # user 0 has 10 interactions -> 8 / 1 / 1; user 1 has 3 -> RecBole gives 1 / 1 / 1.
    user = np.array([0] * 10 + [1] * 3)
    split = make_split(user, None, RS)
    assert np.bincount(user[split.train]).tolist() == [8, 1]
    assert np.bincount(user[split.valid]).tolist() == [1, 1]
    assert np.bincount(user[split.test]).tolist() == [1, 1]
    every = np.sort(np.concatenate([split.train, split.valid, split.test]))
    assert every.tolist() == list(range(13))  # a partition of the rows


def test_time_ordered_leave_one_out_by_hand():
    # user 0: times 5,1,3,4 -> train {1,3}, valid {4}, test {5}; user 1: two rows -> train, test.
    user = np.array([0, 0, 0, 0, 1, 1])
    time = np.array([5, 1, 3, 4, 9, 8])
    split = make_split(user, time, {"seed": 0, "order": "TO", "mode": "LS"})
    assert sorted(split.train.tolist()) == [1, 2, 5]
    assert split.valid.tolist() == [3]
    assert split.test.tolist() == [0, 4]


def test_split_depends_only_on_its_seed():
    user = np.repeat(np.arange(20), 10)
    a, b = make_split(user, None, RS), make_split(user, None, RS)
    assert np.array_equal(a.test, b.test) and np.array_equal(a.valid, b.valid)
    np.random.seed(123)  # global generators do not matter
    c = make_split(user, None, RS)
    assert np.array_equal(a.test, c.test)
    d = make_split(user, None, dict(RS, seed=8))
    assert not np.array_equal(a.test, d.test)


def test_bad_split_config_names_the_field():
    user = np.zeros(3, dtype=int)
    with pytest.raises(ConfigError, match="split.order"):
        make_split(user, None, dict(RS, order="XX"))
    with pytest.raises(ConfigError, match="split.order"):
        make_split(user, None, dict(RS, order="TO"))  # no timestamps
    with pytest.raises(ConfigError, match="split.ratios"):
        make_split(user, None, dict(RS, ratios=[0.5, 0.5]))


def test_ml100k_split_sizes(ml100k):
    data, split = ml100k
    assert len(data) == 100_000
    assert data.rating.min() == 1 and data.rating.max() == 5  # raw scale, not RecBole's normalised 0..1
    assert len(split.train) + len(split.valid) + len(split.test) == 100_000
    # Every ML-100K user has >= 20 ratings, so everyone has valid and test interactions.
    assert len(np.unique(data.user[split.test])) == 943
    assert len(np.unique(data.user[split.valid])) == 943


def test_time_ties_keep_the_rows_file_order_as_recbole_does(tmp_path):
    """Rows tied in time keep their order in the atomic file (a stable sort by time, then by
    user), so the later row of a tie is the test: RecBole's ``sort`` + ``leave_one_out`` /
    ``split_by_ratio`` give the same parts on the same file."""
    from strikebench.data.interactions import load_interactions
    from strikebench.training.company_data import company_dataset
    from tests.conftest import TINY_SETTINGS, write_atomic

    # u1: i1 at t=1, then i3, i2, i4 all at t=2, in this file order, which is neither the tokens'
    # order nor RecBole's ids' (i4 comes first in the file: id 1). u2: i4 at t=3, i5 and i6 at t=7.
    rows = [("u2", "i4", 1, 3), ("u1", "i1", 1, 1), ("u1", "i3", 1, 2), ("u2", "i5", 1, 7),
            ("u1", "i2", 1, 2), ("u2", "i6", 1, 7), ("u1", "i4", 1, 2)]
    data = load_interactions("ties", write_atomic(tmp_path, "ties", rows), TINY_SETTINGS)

    def tokens(index):
        return sorted((str(data.user_tokens[data.user[r]]), str(data.item_tokens[data.item[r]])) for r in index)

    loo = make_split(data.user, data.timestamp, {"seed": 0, "order": "TO", "mode": "LS"})
    # u1: order i1, i3, i2, i4 -> test i4 (the last of the tie in the file), valid i2.
    # u2: order i4 (t=3), i5, i6 -> test i6, valid i5.
    assert tokens(loo.test) == [("u1", "i4"), ("u2", "i6")]
    assert tokens(loo.valid) == [("u1", "i2"), ("u2", "i5")]
    assert tokens(loo.train) == [("u1", "i1"), ("u1", "i3"), ("u2", "i4")]
    ratio = make_split(data.user, data.timestamp, {"seed": 0, "order": "TO", "mode": "RS", "ratios": [0.5, 0.25, 0.25]})
    assert tokens(ratio.test) == [("u1", "i4"), ("u2", "i6")]  # u1 2/1/1, u2 1/1/1

    def recbole_parts(split_fn):
        dataset = company_dataset(data, np.arange(len(data)))  # RecBole's Dataset, rows in file order
        dataset.sort(by=dataset.time_field)  # what RecBole's build() does for order TO
        parts = split_fn(dataset)
        uid, iid = dataset.uid_field, dataset.iid_field
        return [sorted((str(data.user_tokens[u]), str(data.item_tokens[i]))
                       for u, i in zip(p.inter_feat[uid].tolist(), p.inter_feat[iid].tolist())) for p in parts]

    assert recbole_parts(lambda d: d.leave_one_out(group_by=d.uid_field, leave_one_mode="valid_and_test")) == [
        tokens(loo.train), tokens(loo.valid), tokens(loo.test)]
    assert recbole_parts(lambda d: d.split_by_ratio([0.5, 0.25, 0.25], group_by=d.uid_field)) == [
        tokens(ratio.train), tokens(ratio.valid), tokens(ratio.test)]


def test_ml100k_time_order_differs_from_recbole_only_by_its_float32_timestamps(ml100k):
    """RecBole sorts on its float32 copy of the timestamps (1 s becomes 64 s at ML-100K's epoch
    times), which makes ties of distinct times; strikebench sorts on the exact times. Rounded to
    float32 as RecBole holds them, the two splits are equal row for row."""
    from strikebench.training.company_data import company_dataset

    data, _ = ml100k
    to_loo = {"seed": 0, "order": "TO", "mode": "LS"}
    dataset = company_dataset(data, np.arange(len(data)))
    assert dataset.inter_feat[dataset.time_field].dtype == torch.float32
    dataset.sort(by=dataset.time_field)
    parts = dataset.leave_one_out(group_by=dataset.uid_field, leave_one_mode="valid_and_test")
    theirs = [{(u, i) for u, i in zip(p.inter_feat[dataset.uid_field].tolist(), p.inter_feat[dataset.iid_field].tolist())}
              for p in parts]
    rounded = make_split(data.user, data.timestamp.astype(np.float32), to_loo)
    ours = make_split(data.user, data.timestamp, to_loo)
    pairs = [set(zip(data.user[s].tolist(), data.item[s].tolist())) for s in (rounded.train, rounded.valid, rounded.test)]
    assert pairs == theirs
    assert not np.array_equal(ours.test, rounded.test)
