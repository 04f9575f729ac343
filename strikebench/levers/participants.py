"""The participant draw: seeded, nested across participation levels, independent of the model."""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from strikebench.errors import ConfigError
from strikebench.levers import streams


def check_participation(participation) -> float:
    """``strike.participation`` as a float: a number in [0, 1], or a ConfigError naming the field.

    The one check of the range: config validation and the participant count both call it.
    """
    if isinstance(participation, bool) or not isinstance(participation, numbers.Real):
        raise ConfigError("strike.participation", f"must be a number, got {participation!r}", "0 <= p <= 1")
    if not 0.0 <= participation <= 1.0:
        raise ConfigError("strike.participation", f"{participation} is outside [0, 1]", "0 <= p <= 1")
    return float(participation)


def participant_count(participation: float, group_size: int) -> int:
    """round(p * N), half up, and at least 1 when p > 0."""
    participation = check_participation(participation)
    if participation == 0.0:
        return 0
    return max(1, min(group_size, math.floor(participation * group_size + 0.5)))


@dataclass(frozen=True)
class Participants:
    """Who acts in one cell: internal user ids, in draw order."""

    users: np.ndarray
    group: str  # the selected group, e.g. "all users"
    group_size: int
    participation: float
    seed: int

    def mask(self, n_users: int) -> np.ndarray:
        out = np.zeros(n_users, dtype=bool)
        out[self.users] = True
        return out


def draw_participants(group: np.ndarray, participation: float, seed: int, group_name: str) -> Participants:
    """The first round(p * N) users of a seeded permutation of the sorted group.

    The permutation depends only on (group, seed), so a smaller p picks a prefix of a larger
    p's participants (nested), and every model sees the same participants (paired).
    """
    group = np.unique(np.asarray(group, dtype=np.int64))
    count = participant_count(participation, len(group))
    order = streams.rng(seed, streams.PARTICIPANTS).permutation(len(group))
    return Participants(
        users=group[order[:count]],
        group=group_name,
        group_size=len(group),
        participation=float(participation),
        seed=int(seed),
    )
