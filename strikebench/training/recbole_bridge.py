"""Turn strikebench config and a company's view into RecBole's Config, Dataset, loaders and scores."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from strikebench import compat
from strikebench.data.interactions import InteractionData
from strikebench.errors import ConfigError


def recbole_config_dict(cfg, device: str) -> dict:
    """Everything RecBole needs to know, from the strikebench config of one cell."""
    model = cfg.model
    settings = dict(_plain(cfg.dataset.recbole))
    settings.update(_plain(model.get("params") or {}))
    settings.update(
        seed=int(cfg.seed),
        reproducibility=True,
        device=device,
        use_gpu=device.startswith("cuda"),
        show_progress=False,
        learning_rate=float(model.learning_rate),
        weight_decay=float(model.get("weight_decay") or 0.0),
        train_batch_size=int(model.train_batch_size),
        train_neg_sample_args=_plain(model.get("neg_sampling")),
        metric_decimal_place=10,
        checkpoint_dir=str(cfg.get("work_dir", "checkpoints")),
        log_wandb=False,
        worker=0,
    )
    return settings


def _plain(node):
    from omegaconf import OmegaConf

    if node is None:
        return None
    if OmegaConf.is_config(node):
        return OmegaConf.to_container(node, resolve=True)
    return node


def model_class(model_name: str):
    """A RecBole model name or the dotted path of a custom RecBole-style class (compat.model_class)."""
    return compat.model_class(model_name)


def is_sequential(model_name: str) -> bool:
    from recbole.utils import ModelType

    return getattr(model_class(model_name), "type", None) == ModelType.SEQUENTIAL


def check_split_for(model_name: str, split_cfg) -> None:
    """Sequential models learn from time-ordered sequences: they need a time-ordered split."""
    if is_sequential(model_name) and str(split_cfg.get("order")) != "TO":
        raise ConfigError(
            "split.order",
            f"{model_name} is a sequential model and needs a time-ordered split, got {split_cfg.get('order')!r}",
            "split=sequential (TO, leave-one-out) for every model of the sweep",
        )


def company_dataset(data: InteractionData, rows: np.ndarray):
    """A RecBole Dataset holding only ``rows``: same users, items and id maps as the full one."""
    dataset = data.recbole_dataset
    return dataset.copy(interaction_rows(dataset.inter_feat, rows))


def interaction_rows(interaction, rows: np.ndarray):
    """``interaction[rows]``, column by column: RecBole's Interaction.__getitem__ turns a tensor
    index into a Python list first, 1.2 s of the per-cell setup at 4M rows."""
    from recbole.data.interaction import Interaction

    index = torch.as_tensor(np.ascontiguousarray(rows, dtype=np.int64))  # a reversed view works too
    return Interaction({k: v[index] for k, v in interaction.interaction.items()})


def time_ordered(data: InteractionData, rows: np.ndarray) -> np.ndarray:
    """``rows`` sorted by user, then time, ties by row index: the order of RecBole's
    ``SequentialDataset.data_augmentation`` (stable sorts by time, then by user, on load order)."""
    rows = np.sort(np.asarray(rows, dtype=np.int64))
    return rows[np.lexsort((data.timestamp[rows], data.user[rows]))]


def augment_sequences(user: np.ndarray, max_len: int):
    """RecBole's data augmentation, vectorised: for time-ordered rows of ``user``, every row but
    each user's first becomes a target whose history is the up to ``max_len`` rows before it.

    Returns (target positions, history start positions, history lengths), positions into the
    time-ordered rows.
    """
    n = len(user)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    first = np.ones(n, dtype=bool)
    first[1:] = user[1:] != user[:-1]
    user_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    target = np.nonzero(~first)[0]
    length = np.minimum(target - user_start[target], max_len)
    return target, target - length, length


def sequential_dataset(config, data: InteractionData, rows: np.ndarray):
    """The company's training rows as RecBole's ``SequentialDataset`` after data augmentation.

    Equivalent to ``SequentialDataset.data_augmentation`` on a dataset holding only ``rows``:
    each training interaction (but a user's first) is a target, with the user's earlier
    training interactions, time-ordered and truncated to MAX_ITEM_LIST_LENGTH, as its sequence.
    RecBole's own loop over rows is replaced by index arithmetic (tests/test_sequential.py
    checks that both give the same Interaction).
    """
    from recbole.data.dataset import SequentialDataset
    from recbole.data.interaction import Interaction

    base = data.recbole_dataset
    ordered = time_ordered(data, rows)
    inter = interaction_rows(base.inter_feat, ordered)
    dataset = copy.copy(base)
    dataset.__class__ = SequentialDataset
    # _aug_presets adds list fields: give the copy its own field tables.
    dataset.field2type = dict(base.field2type)
    dataset.field2source = dict(base.field2source)
    dataset.field2seqlen = dict(base.field2seqlen)
    dataset.config = config
    dataset.max_item_list_len = config["MAX_ITEM_LIST_LENGTH"]
    dataset.item_list_length_field = config["ITEM_LIST_LENGTH_FIELD"]
    dataset.inter_feat = inter
    dataset._aug_presets()

    if any(_needs_recbole_loop(dataset, name, config) for name in inter.columns):
        dataset.data_augmentation()  # sequence or numerical inter fields: RecBole's own loop
        return dataset

    max_len = int(config["MAX_ITEM_LIST_LENGTH"])
    target, start, length = augment_sequences(inter[base.uid_field].numpy(), max_len)
    new_inter = inter[torch.as_tensor(target, dtype=torch.long)]
    new_dict = {dataset.item_list_length_field: torch.as_tensor(length, dtype=torch.int64)}
    position = torch.arange(max_len)
    take = torch.as_tensor(start, dtype=torch.long).unsqueeze(1) + position.unsqueeze(0)
    valid = position.unsqueeze(0) < torch.as_tensor(length, dtype=torch.long).unsqueeze(1)
    take = torch.where(valid, take, torch.zeros_like(take))
    for name in inter.columns:
        if name == base.uid_field:
            continue
        values = inter[name]
        gathered = values[take.flatten()].view(len(target), max_len)
        new_dict[getattr(dataset, f"{name}_list_field")] = torch.where(valid, gathered, torch.zeros((), dtype=values.dtype))
    new_inter.update(Interaction(new_dict))
    dataset.inter_feat = new_inter
    return dataset


def _needs_recbole_loop(dataset, name: str, config) -> bool:
    from recbole.utils import FeatureType

    ftype = dataset.field2type[name]
    return ftype in (FeatureType.TOKEN_SEQ, FeatureType.FLOAT_SEQ) or (
        ftype == FeatureType.FLOAT and name in (config["numerical_features"] or []))


def train_loader(config, data: InteractionData, train_rows, valid_rows, test_rows, sequential: bool = False):
    """RecBole's own training loader and negative sampler, built on the company's data.

    The sampler sees the company's train data in its train phase, as data_preparation does,
    so negatives exclude the user's training items exactly where RecBole excludes them.
    Sequential models train on the augmented sequences of the company's training rows.
    """
    from recbole.data.utils import create_samplers, get_dataloader

    built = [company_dataset(data, r) for r in (train_rows, valid_rows, test_rows)]
    train_sampler, _, _ = create_samplers(config, data.recbole_dataset, built)
    train_dataset = sequential_dataset(config, data, train_rows) if sequential else built[0]
    loader = get_dataloader(config, "train")(config, train_dataset, train_sampler, shuffle=config["shuffle"])
    return train_dataset, loader


def build_model(model_name: str, config, train_dataset):
    return model_class(model_name)(config, train_dataset).to(config["device"])


def is_traditional(model) -> bool:
    """Models with no gradient step (Pop, ItemKNN, EASE, ...): one pass over the data, no early stopping."""
    from recbole.utils import ModelType

    return model.type == ModelType.TRADITIONAL


# ---------------------------------------------------------------------------------------------
# Training recipes: what one epoch of RecBole's trainer for a model does.


@dataclass
class Phase:
    """Passes over the training data with one optimiser (RecBole's Trainer has one phase)."""

    name: str
    parameters: Callable  # model -> iterable of parameters for this phase's optimiser
    passes: int = 1
    loss_kwargs: dict = field(default_factory=dict)
    before: Callable | None = None  # model -> None, run when the phase starts


def training_phases(model_name: str, config) -> list[Phase]:
    """RecBole's RecVAETrainer alternates encoder and decoder passes with their own optimisers;
    every other supported model trains all parameters with one optimiser, one pass an epoch."""
    if model_name == "RecVAE":
        return [
            Phase("encoder", lambda m: m.encoder.parameters(), int(config["n_enc_epochs"]), {"encoder_flag": True}),
            Phase("decoder", lambda m: m.decoder.parameters(), int(config["n_dec_epochs"]), {"encoder_flag": False},
                  before=lambda m: m.update_prior()),
        ]
    return [Phase("all", lambda m: m.parameters())]


class PhasedLoader:
    """Iterates RecBole's training loader once per pass of each phase, yielding (phase, batch)."""

    def __init__(self, loader, phases: list[Phase]):
        self.loader = loader
        self.phases = phases

    def __iter__(self):
        for index, phase in enumerate(self.phases):
            for _ in range(phase.passes):
                for batch in self.loader:
                    yield index, batch

    def __len__(self):
        return sum(phase.passes for phase in self.phases) * len(self.loader)


# ---------------------------------------------------------------------------------------------
# Scoring: user ids -> full-ranking scores [B, n_items].


def _predict_all_items(model, batch_interaction, n_users: int, n_items: int, item_field: str):
    """RecBole's fallback for models without ``full_sort_predict`` (NeuMF): ``predict`` on
    every (user, item) pair, as RecBole's Trainer does in full-sort evaluation."""
    from recbole.data.interaction import Interaction

    items = torch.arange(n_items, device=model.device)
    chunk = max(1, 2 ** 18 // max(n_items, 1))  # about 260k pairs per forward pass
    parts = []
    for start in range(0, n_users, chunk):
        stop = min(start + chunk, n_users)
        rows = {k: v[start:stop].repeat_interleave(n_items, dim=0) for k, v in batch_interaction.interaction.items()}
        rows[item_field] = items.repeat(stop - start)
        parts.append(model.predict(Interaction(rows)).view(stop - start, n_items))
    return torch.cat(parts, dim=0)


def has_full_sort(model) -> bool:
    from recbole.model.abstract_recommender import AbstractRecommender

    return type(model).full_sort_predict is not AbstractRecommender.full_sort_predict


def score_function(model, user_field: str, item_field: str | None = None, n_items: int | None = None,
                   sequences: "UserSequences | None" = None):
    """User ids -> full-ranking scores [B, n_items] from a RecBole model.

    Sequential models also get each user's item sequence (``sequences``): the company's
    interactions for that user, time-ordered and truncated to MAX_ITEM_LIST_LENGTH.
    """
    from recbole.data.interaction import Interaction

    full_sort = has_full_sort(model)

    def score(users: torch.Tensor) -> torch.Tensor:
        users = users.to(model.device)
        fields = {user_field: users}
        if sequences is not None:
            fields.update(sequences.fields(users))
        batch = Interaction(fields)
        if full_sort:
            return model.full_sort_predict(batch).view(len(users), -1)
        return _predict_all_items(model, batch, len(users), n_items, item_field)

    return score


class UserSequences:
    """Each user's most recent ``max_len`` items in a set of rows, left-aligned as RecBole's
    augmented ``<item>_list`` field, and their lengths (``item_length``).

    A user with no rows gets length 1 and the padding item: the model still runs, and the
    evaluator ranks that user by popularity anyway (no training data, docs/design.md rule 4).
    """

    def __init__(self, data: InteractionData, rows: np.ndarray, max_len: int, seq_field: str, len_field: str,
                 device="cpu"):
        ordered = time_ordered(data, rows)
        user = data.user[ordered]
        item = data.item[ordered]
        counts = np.bincount(user, minlength=data.n_users)
        ends = np.cumsum(counts)
        length = np.minimum(counts, max_len)
        # position of each kept row in its user's sequence
        rank_from_end = ends[user] - np.arange(len(user)) - 1
        keep = rank_from_end < length[user]
        position = length[user[keep]] - 1 - rank_from_end[keep]
        seq = np.zeros((data.n_users, max_len), dtype=np.int64)
        seq[user[keep], position] = item[keep]
        self.seq = torch.as_tensor(seq, device=device)
        self.length = torch.as_tensor(np.maximum(length, 1), dtype=torch.long, device=device)
        self.seq_field = seq_field
        self.len_field = len_field

    def fields(self, users: torch.Tensor) -> dict:
        users = users.to(self.seq.device)
        return {self.seq_field: self.seq[users], self.len_field: self.length[users]}


def user_sequences(config, data: InteractionData, rows: np.ndarray, device) -> UserSequences:
    return UserSequences(
        data, rows, int(config["MAX_ITEM_LIST_LENGTH"]),
        seq_field=config["ITEM_ID_FIELD"] + config["LIST_SUFFIX"],
        len_field=config["ITEM_LIST_LENGTH_FIELD"],
        device=device,
    )
