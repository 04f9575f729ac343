"""Small row helpers the levers share: whose rows, seeded per-row keys, per-user shares."""
from __future__ import annotations

import numpy as np


def participant_rows(rows: np.ndarray, user: np.ndarray, participant_users: np.ndarray) -> np.ndarray:
    """The subset of ``rows`` that belong to participants."""
    return rows[np.isin(user[rows], participant_users)]


def row_keys(rows: np.ndarray, seed: int, salt: int) -> np.ndarray:
    """A uniform [0, 1) key per row that depends only on (seed, salt, row).

    A hash (splitmix64) rather than a generator: the key of a row does not depend on which
    other rows are drawn, so a participant's choice is the same at every participation level.
    """
    with np.errstate(over="ignore"):
        x = np.asarray(rows, dtype=np.uint64) + np.uint64((int(seed) * 0x9E3779B1 + int(salt) * 0x85EBCA77) % 2**64)
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(2**53)


def share_per_user(rows: np.ndarray, user: np.ndarray, share: float, seed: int, salt: int) -> np.ndarray:
    """For each user, the round(share * n_u) rows (half up) of ``rows`` with the smallest keys.

    Nested: a smaller share picks a subset of a larger share's rows, for the same seed.
    """
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) == 0 or share <= 0:
        return rows[:0]
    keys = row_keys(rows, seed, salt)
    owners = user[rows]
    order = np.lexsort((rows, keys, owners))  # by user, then key (row breaks exact ties)
    owners_sorted = owners[order]
    starts = np.searchsorted(owners_sorted, owners_sorted, side="left")
    rank = np.arange(len(rows)) - starts
    counts = np.bincount(owners_sorted)[owners_sorted]
    take = rank < np.floor(share * counts + 0.5)
    return np.sort(rows[order][take])
