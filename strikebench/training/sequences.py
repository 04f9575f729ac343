"""Sequential models: each user's interactions in time order, as RecBole's SequentialDataset has them.

Training: the company's rows augmented into (history, target) pairs (:func:`sequential_dataset`).
Scoring: each user's most recent items as the model's input (:class:`UserSequences`).
"""
from __future__ import annotations

import copy

import numpy as np
import torch

from strikebench.data.interactions import InteractionData
from strikebench.training.company_data import interaction_rows


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
    RecBole's own loop over rows is replaced by index arithmetic (tests/training/test_sequential.py
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
