"""Uniform negative sampling on the device, excluding each user's training items.

RecBole's train sampler (``recbole.sampler.Sampler`` in its "train" phase, uniform
distribution) draws items uniformly from 1..n_items-1 (item 0 is the padding item) and redraws
any item the user has in the *training* data, one Python set lookup per draw. The result is a
uniform draw over the items the user does not hold in training. This module draws from the same
distribution with tensor operations only.

The training items live as one sorted key array ``user * n_items + item`` (a CSR in disguise:
each user's items are a sorted run). Two ways to draw:

- ``rank`` (default): draw a rank r uniformly in [0, number of allowed items) and map it to the
  r-th allowed item with one ``searchsorted`` against the per-user "gaps" (how many allowed items
  lie below each training item). Exact, no loop, no host synchronisation: cheap on a GPU.
- ``rejection``: RecBole's own scheme, vectorised: draw from 1..n_items-1, test membership with
  ``searchsorted``, redraw the rejected ones until none is left (one host sync per round).
"""
from __future__ import annotations

import numpy as np
import torch

METHODS = ("rank", "rejection")


def long_tensor(values, device) -> torch.Tensor:
    """int64 on ``device`` from a numpy array or a tensor (on any device)."""
    if torch.is_tensor(values):
        return values.to(device=device, dtype=torch.long)
    return torch.as_tensor(np.asarray(values), dtype=torch.long).to(device)


class UniformNegativeSampler:
    """Negatives for (user) rows: uniform over items 1..n_items-1 the user has not trained on."""

    def __init__(self, train_users, train_items, n_users: int, n_items: int, device="cpu"):
        device = torch.device(device)
        users, items = long_tensor(train_users, device), long_tensor(train_items, device)
        self.n_users, self.n_items, self.device = int(n_users), int(n_items), device
        # Sorted, de-duplicated (user, item) keys: the users' training item lists, end to end.
        keys = torch.sort(users * self.n_items + items).values
        self.keys = keys[torch.cat([keys.new_ones(min(len(keys), 1), dtype=torch.bool), keys[1:] != keys[:-1]])]
        key_user = self.keys // self.n_items
        held = torch.bincount(key_user, minlength=self.n_users)
        self.indptr = torch.zeros(self.n_users + 1, dtype=torch.long, device=device)
        self.indptr[1:] = torch.cumsum(held, 0)
        self.n_allowed = (self.n_items - 1) - held  # items 1..n_items-1 minus the user's own
        if bool((self.n_allowed <= 0).any()) and bool((held > 0)[self.n_allowed <= 0].any()):
            # RecBole raises here too ("Some users have interacted with all items").
            raise ValueError("a user holds every item in training: no negative item can be drawn for them")
        # Allowed items below each training item s_k (the k-th of its user): s_k - 1 - k.
        position = torch.arange(len(self.keys), device=device) - self.indptr[key_user]
        self.gap_keys = key_user * self.n_items + (self.keys % self.n_items - 1 - position)

    def sample(self, users: torch.Tensor, num: int = 1, generator: torch.Generator | None = None,
               method: str = "rank") -> torch.Tensor:
        """Negatives [len(users), num] for ``users`` (long tensor on this sampler's device)."""
        if method not in METHODS:
            raise ValueError(f"unknown sampling method {method!r}; known: {', '.join(METHODS)}")
        rows = users.repeat_interleave(num) if num != 1 else users
        drawn = self._by_rank(rows, generator) if method == "rank" else self._by_rejection(rows, generator)
        return drawn.view(len(users), num)

    def contains(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """True where ``items[j]`` is one of ``users[j]``'s training items."""
        query = users * self.n_items + items
        if len(self.keys) == 0:
            return torch.zeros_like(query, dtype=torch.bool)
        at = torch.searchsorted(self.keys, query).clamp(max=len(self.keys) - 1)
        return self.keys[at] == query

    def _by_rank(self, users, generator):
        # int64 draws modulo the count: bias below count / 2**62, far under any test's power.
        big = torch.randint(0, 2 ** 62, users.shape, generator=generator, device=self.device)
        rank = big % self.n_allowed[users]
        below = torch.searchsorted(self.gap_keys, users * self.n_items + rank, right=True) - self.indptr[users]
        return rank + 1 + below

    def _by_rejection(self, users, generator):
        items = torch.randint(1, self.n_items, users.shape, generator=generator, device=self.device)
        redo = torch.nonzero(self.contains(users, items)).flatten()
        while len(redo):  # len() syncs with the host once per round
            items[redo] = torch.randint(1, self.n_items, redo.shape, generator=generator, device=self.device)
            redo = redo[self.contains(users[redo], items[redo])]
        return items
