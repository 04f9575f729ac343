"""Training batches for RecBole general models, built from index tensors kept on the device.

RecBole's ``TrainDataLoader`` indexes its Dataset per batch, builds Interaction objects on the
host and draws negatives with a Python loop over the batch. Here, every epoch is one
``randperm`` plus one vectorised negative draw for all rows; a batch is then a few tensor slices
wrapped in a thin Interaction. The batches have RecBole's fields and layout, so any general
model's ``calculate_loss`` (and the Lightning module) takes them unchanged:

- users (the autoencoders RecBole trains on user batches: MultiVAE, MultiDAE, RecVAE, ...):
  ``user`` only, every user id 0..n_users-1 once an epoch (RecBole's ``UserDataLoader``);
- no negatives (EASE, ItemKNN, Pop, ...): ``user, item`` (+ extra columns), ``batch_size`` rows;
- pairwise (BPR, LightGCN, ...): ``user, item, neg_item``, each positive tiled ``num_neg`` times
  (row ``j * B + i`` is positive ``i`` with its ``j``-th negative), ``batch_size // num_neg``
  positives a batch;
- pointwise (NeuMF, ...): the ``B`` positives, then their ``num_neg * B`` negatives in the item
  column, and ``label`` 1 / 0; ``batch_size // (1 + num_neg)`` positives a batch.

Negatives exclude the user's training items, as RecBole's train-phase sampler does
(see ``negatives.py``). Not covered (use RecBole's loader): popularity-biased or dynamic
negative sampling, and models that read item or user features from the batch.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from strikebench.training.fast.negatives import UniformNegativeSampler, long_tensor

MODES = ("users", "none", "pairwise", "pointwise")


def thin_interaction(fields: dict, length: int):
    """A RecBole Interaction around tensors that are already on the device.

    ``Interaction.__init__`` type-checks and reshapes every field on every batch; the fields
    here are known to be tensors of ``length`` rows, so only the two attributes are set.
    """
    from recbole.data.interaction import Interaction

    batch = Interaction.__new__(Interaction)
    batch.interaction = fields
    batch.length = length
    return batch


class FastTrainLoader:
    """An iterable of Interaction batches over the training rows; one shuffle per epoch."""

    def __init__(self, users, items, n_users: int, n_items: int, *, batch_size: int, mode: str = "pairwise",
                 num_neg: int = 1, device="cpu", seed: int = 0, user_field: str = "user_id",
                 item_field: str = "item_id", neg_prefix: str = "neg_", label_field: str = "label",
                 columns: dict | None = None, method: str = "rank", shuffle: bool = True):
        if mode not in MODES:
            raise ValueError(f"unknown batch mode {mode!r}; known: {', '.join(MODES)}")
        self.device = torch.device(device)
        if mode == "users":  # RecBole's UserDataLoader: all user ids, the padding user 0 included
            users, items, columns, num_neg = np.arange(n_users), np.zeros(n_users, dtype=np.int64), None, 0
        self.users, self.items = long_tensor(users, self.device), long_tensor(items, self.device)
        self.columns = {name: torch.as_tensor(v).to(self.device) for name, v in (columns or {}).items()}
        self.mode = mode if num_neg > 0 or mode == "users" else "none"
        self.num_neg = int(num_neg) if self.mode in ("pairwise", "pointwise") else 0
        # RecBole: with negatives, batch_size counts rows after sampling (TrainDataLoader._init_batch_size_and_step).
        times = {"pairwise": self.num_neg, "pointwise": 1 + self.num_neg}.get(self.mode, 1)
        self.step = max(int(batch_size) // times, 1)
        self.sampler = (UniformNegativeSampler(self.users, self.items, n_users, n_items, self.device)
                        if self.num_neg else None)
        self.user_field, self.item_field = user_field, item_field
        self.neg_item_field, self.label_field = neg_prefix + item_field, label_field
        self.method, self.shuffle = method, shuffle
        self.generator = torch.Generator(device=self.device).manual_seed(int(seed))
        if self.mode == "pointwise":  # labels of a full batch, sliced for the last one
            self._labels = torch.cat([torch.ones(self.step), torch.zeros(self.step * self.num_neg)]).to(self.device)

    def __len__(self) -> int:
        return math.ceil(len(self.users) / self.step)

    def __iter__(self):
        n = len(self.users)
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator, device=self.device)
            users, items = self.users[order], self.items[order]
            columns = {name: v[order] for name, v in self.columns.items()}
        else:
            users, items, columns = self.users, self.items, self.columns
        # One draw for the whole epoch: the same distribution as RecBole's per-batch draws.
        negatives = (self.sampler.sample(users, self.num_neg, self.generator, self.method)
                     if self.sampler is not None else None)
        for start in range(0, n, self.step):
            stop = min(start + self.step, n)
            neg = negatives[start:stop] if negatives is not None else None
            yield self._batch(users[start:stop], items[start:stop], neg,
                              {name: v[start:stop] for name, v in columns.items()})

    def _batch(self, users, items, neg, columns):
        size = len(users)
        if self.mode == "users":
            return thin_interaction({self.user_field: users}, size)
        if self.mode == "none":
            return thin_interaction({self.user_field: users, self.item_field: items, **columns}, size)
        flat_neg = neg.t().reshape(-1)  # [B, k] -> RecBole's order: j-th negative of i at j * B + i
        if self.mode == "pairwise":
            k = self.num_neg
            fields = {self.user_field: users.repeat(k) if k > 1 else users,
                      self.item_field: items.repeat(k) if k > 1 else items,
                      **{name: v.repeat(k) if k > 1 else v for name, v in columns.items()},
                      self.neg_item_field: flat_neg}
            return thin_interaction(fields, size * k)
        times = 1 + self.num_neg
        labels = self._labels if size == self.step else torch.cat(
            [self._labels[:size], self._labels[self.step:self.step + size * self.num_neg]])
        fields = {self.user_field: users.repeat(times), self.item_field: torch.cat([items, flat_neg]),
                  **{name: v.repeat(times) for name, v in columns.items()}, self.label_field: labels}
        return thin_interaction(fields, size * times)


def unsupported_reason(config) -> str | None:
    """Why the fast path cannot train this RecBole config, or None when it can."""
    from strikebench.training.fast_coverage import refusal

    return refusal(_name(config["MODEL_TYPE"]), _name(config["MODEL_INPUT_TYPE"]), config["train_neg_sample_args"])


def _name(enum) -> str | None:
    return getattr(enum, "name", None)


def batch_mode(config) -> tuple[str, int]:
    """(mode, negatives per positive) as RecBole's training loader for ``config`` batches."""
    from recbole.data.utils import get_dataloader
    from recbole.utils import InputType

    if get_dataloader(config, "train").__name__ == "UserDataLoader":
        return "users", 0
    args = config["train_neg_sample_args"] or {}
    if args.get("distribution", "none") == "none" or args.get("sample_num", "none") == "none":
        return "none", 0
    mode = "pairwise" if config["MODEL_INPUT_TYPE"] == InputType.PAIRWISE else "pointwise"
    return mode, int(args["sample_num"])


def fast_train_loader(config, train_users, train_items, n_users: int, n_items: int, batch_size: int | None = None,
                      num_neg: int | None = None, device=None, seed: int | None = None, columns: dict | None = None,
                      method: str = "rank") -> FastTrainLoader:
    """A FastTrainLoader configured as RecBole's TrainDataLoader would be for ``config``.

    ``config``: a RecBole Config (or a mapping with the same keys). ``batch_size``, ``num_neg``,
    ``device`` and ``seed`` default to ``train_batch_size``, ``train_neg_sample_args.sample_num``,
    ``device`` and ``seed`` of the config. ``columns``: extra per-row fields to carry (e.g. rating).
    """
    reason = unsupported_reason(config)
    if reason is not None:
        raise ValueError(f"the fast data path does not support {reason}; use trainer.data_path=recbole")
    mode, configured_neg = batch_mode(config)
    return FastTrainLoader(
        train_users, train_items, n_users, n_items,
        batch_size=int(batch_size if batch_size is not None else config["train_batch_size"]),
        mode=mode, num_neg=configured_neg if num_neg is None else int(num_neg),
        device=device if device is not None else config["device"],
        seed=int(seed if seed is not None else config["seed"]),
        user_field=config["USER_ID_FIELD"], item_field=config["ITEM_ID_FIELD"],
        neg_prefix=config["NEG_PREFIX"], label_field=config["LABEL_FIELD"],
        columns=columns, method=method,
    )
