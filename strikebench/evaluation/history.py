"""Users' item sets as CSR tensors, and the dense per-batch masks built from them."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class UserItems:
    """For each user, a set of items (CSR: ``indices[indptr[u]:indptr[u+1]]``)."""

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

    def dense(self, users: torch.Tensor) -> torch.Tensor:
        """Bool [len(users), n_items], True where the user has the item: one scatter per batch."""
        lengths = self.counts(users)
        rows = torch.repeat_interleave(torch.arange(len(users), device=users.device), lengths)
        starts = torch.repeat_interleave(self.indptr[users], lengths)
        offsets = torch.arange(int(lengths.sum()), device=users.device) - torch.repeat_interleave(
            torch.cumsum(lengths, 0) - lengths, lengths
        )
        mask = torch.zeros(len(users), self.n_items, dtype=torch.bool, device=users.device)
        mask[rows, self.indices[starts + offsets]] = True
        return mask
