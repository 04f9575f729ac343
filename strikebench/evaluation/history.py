"""Users' item sets as CSR tensors, and per-batch lookups in them (index pairs, membership, dense masks)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch


@dataclass(frozen=True)
class UserItems:
    """For each user, a set of items (CSR: ``indices[indptr[u]:indptr[u+1]]``, ascending within
    each user, as ``from_pairs`` sorts them: ``contains`` relies on it)."""

    indptr: torch.Tensor
    indices: torch.Tensor
    n_items: int

    @classmethod
    def from_pairs(cls, users: np.ndarray, items: np.ndarray, n_users: int, n_items: int, device="cpu") -> "UserItems":
        """Each user's set of items: a pair given twice (a duplicated row) counts once, as in
        RecBole's full-sort evaluation, whose positives are a set per user."""
        pairs = np.unique(np.asarray(users, dtype=np.int64) * n_items + np.asarray(items, dtype=np.int64))
        users, items = np.divmod(pairs, n_items)
        counts = np.bincount(users, minlength=n_users)
        indptr = np.concatenate([[0], np.cumsum(counts)])
        return cls(
            torch.as_tensor(indptr, dtype=torch.long, device=device),
            torch.as_tensor(items, dtype=torch.long, device=device),
            n_items,
        )

    def counts(self, users: torch.Tensor) -> torch.Tensor:
        return self.indptr[users + 1] - self.indptr[users]

    def pairs(self, users: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(row, item) for every item of ``users[row]``: the True cells of ``dense(users)``, as
        indices, so that a score matrix can be masked in place without a dense mask."""
        lengths = self.counts(users)
        rows = torch.repeat_interleave(torch.arange(len(users), device=users.device), lengths)
        # Entry j of the output is entry j - (start of its row's run) of its user's items.
        shift = torch.repeat_interleave(self.indptr[users] - (torch.cumsum(lengths, 0) - lengths), lengths)
        return rows, self.indices[torch.arange(len(rows), device=users.device) + shift]

    def dense(self, users: torch.Tensor) -> torch.Tensor:
        """Bool [len(users), n_items], True where the user has the item: one scatter per batch."""
        mask = torch.zeros(len(users), self.n_items, dtype=torch.bool, device=users.device)
        mask[self.pairs(users)] = True
        return mask

    def contains(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """Bool like ``items`` [len(users), k]: whether ``users[row]`` has ``items[row, j]``;
        ``dense(users).gather(1, items)`` without the dense matrix."""
        if len(self._keys) == 0:
            return torch.zeros(items.shape, dtype=torch.bool, device=items.device)
        query = users.unsqueeze(1) * self.n_items + items
        at = torch.searchsorted(self._keys, query).clamp_(max=len(self._keys) - 1)
        return self._keys[at] == query

    @cached_property
    def _keys(self) -> torch.Tensor:
        """``user * n_items + item`` of every entry: ascending, as each user's items are sorted."""
        users = torch.repeat_interleave(torch.arange(len(self.indptr) - 1, device=self.indptr.device),
                                        self.indptr[1:] - self.indptr[:-1])
        return users * self.n_items + self.indices
