"""Every seeded draw of a cell, each on a stream of its own.

The cell's ``seed`` drives the participant draw and every lever's draws; a stream number mixed
with it keeps one draw from shifting another (a partial strike draws the same rows whatever the
competitor's base users are). The numbers are fixed for good: changing one changes the
participants or lever rows of every result drawn with it.
"""
from __future__ import annotations

import numpy as np

PARTICIPANTS = None  # the participants: the seed's own stream, default_rng(seed), as from the start
PARTIAL_STRIKE = 1  # the partial strike's per-row keys
POISON = 2  # the poison's per-row keys and each participant's replacement items
COMPETITOR_BASE = 3  # the competitor's base users


def rng(seed: int, stream: int | None, *keys: int) -> np.random.Generator:
    """A generator for ``stream`` of the cell ``seed``; ``keys`` split a stream further (a user id,
    for a draw per user that does not depend on the other users)."""
    if stream is None:
        if keys:
            raise ValueError("the participants' stream takes no keys")
        return np.random.default_rng(int(seed))
    return np.random.default_rng([int(seed), int(stream), *map(int, keys)])


def row_keys(rows: np.ndarray, seed: int, stream: int) -> np.ndarray:
    """A uniform [0, 1) key per row that depends only on (seed, stream, row).

    A hash (splitmix64) rather than a generator: the key of a row does not depend on which
    other rows are drawn, so a participant's choice is the same at every participation level.
    """
    with np.errstate(over="ignore"):
        x = np.asarray(rows, dtype=np.uint64) + np.uint64((int(seed) * 0x9E3779B1 + int(stream) * 0x85EBCA77) % 2**64)
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(2**53)
