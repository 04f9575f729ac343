"""Small row helpers the levers share: whose rows, and a seeded share of each user's rows."""
from __future__ import annotations

import numpy as np

from strikebench.levers.streams import row_keys


def participant_rows(rows: np.ndarray, user: np.ndarray, participant_users: np.ndarray) -> np.ndarray:
    """The subset of ``rows`` that belong to participants."""
    return rows[np.isin(user[rows], participant_users)]


def share_per_user(rows: np.ndarray, user: np.ndarray, share: float, seed: int, stream: int) -> np.ndarray:
    """For each user, the round(share * n_u) rows (half up) of ``rows`` with the smallest keys
    (``stream``: one of strikebench/levers/streams.py).

    Nested: a smaller share picks a subset of a larger share's rows, for the same seed.
    """
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) == 0 or share <= 0:
        return rows[:0]
    keys = row_keys(rows, seed, stream)
    owners = user[rows]
    order = np.lexsort((rows, keys, owners))  # by user, then key (row breaks exact ties)
    owners_sorted = owners[order]
    starts = np.searchsorted(owners_sorted, owners_sorted, side="left")
    rank = np.arange(len(rows)) - starts
    counts = np.bincount(owners_sorted)[owners_sorted]
    take = rank < np.floor(share * counts + 0.5)
    return np.sort(rows[order][take])
