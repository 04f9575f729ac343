"""The fixed split: made once per (dataset, split config, split seed), before any lever.

It follows RecBole's ``eval_args`` semantics (group by user; RO random or TO time order;
RS ratios or LS leave-one-out), with its own seeded generator so that it does not depend on
the state of global random generators, and it is the same for every model and cell.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from strikebench.config.plain import to_plain
from strikebench.errors import ConfigError

ORDERS = ("RO", "TO")
MODES = ("RS", "LS")


@dataclass(frozen=True)
class FixedSplit:
    """Row indices of the train, valid and test interactions."""

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray

    def eligible_users(self, user: np.ndarray) -> np.ndarray:
        """Users on the training side (train + valid), sorted: who a selector may choose."""
        return np.unique(np.concatenate([user[self.train], user[self.valid]]))


def ratio_cut_points(total: int, ratios: list[float]) -> list[int]:
    """RecBole's ``Dataset._calcu_split_ids``: every part but the first is rounded down, and a
    part whose share is below one interaction gets one while the first part has more than one."""
    cnt = [int(ratios[i] * total) for i in range(len(ratios))]
    cnt[0] = total - sum(cnt[1:])
    for i in range(1, len(ratios)):
        if cnt[0] <= 1:
            break
        if 0 < ratios[-i] * total < 1:
            cnt[-i] += 1
            cnt[0] -= 1
    return list(np.cumsum(cnt)[:-1])


SEED_MAX = 2**32 - 1  # numpy's legacy seeding (RecBole's init_seed) and Lightning take 0 .. 2**32 - 1
PARTS = ("train", "valid", "test")


def check_seed(value, field: str) -> int:
    """A seed every generator strikebench seeds accepts, else a ConfigError naming ``field``."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= SEED_MAX:
        raise ConfigError(field, f"must be an integer seed, got {value!r}", f"0 <= {field} <= {SEED_MAX}")
    return value


def normalised_ratios(ratios) -> list[float]:
    """The shares as RecBole's ``split_by_ratio`` uses them: each divided by their sum
    ([8, 1, 1] is [0.8, 0.1, 0.1]; shares that sum to exactly 1 are unchanged)."""
    total = sum(float(r) for r in ratios)
    return [float(r) / total for r in ratios]


def split_as_used(split_cfg) -> dict:
    """The split config as plain values, with RS ratios normalised (what is hashed and recorded)."""
    plain = dict(to_plain(split_cfg))
    ratios = plain.get("ratios")
    if plain.get("mode") == "RS" and _positive_shares(ratios):
        plain["ratios"] = normalised_ratios(ratios)
    return plain


def _positive_shares(ratios) -> bool:
    return (isinstance(ratios, (list, tuple)) and len(ratios) == len(PARTS)
            and all(isinstance(r, (int, float)) and not isinstance(r, bool) and 0 < r < math.inf for r in ratios))


def validate_split_config(split_cfg) -> None:
    if split_cfg.get("order") not in ORDERS:
        raise ConfigError("split.order", f"unknown order {split_cfg.get('order')!r}", ", ".join(ORDERS))
    if split_cfg.get("mode") not in MODES:
        raise ConfigError("split.mode", f"unknown mode {split_cfg.get('mode')!r}", ", ".join(MODES))
    check_seed(split_cfg.get("seed"), "split.seed")
    if split_cfg["mode"] == "RS":
        ratios = to_plain(split_cfg.get("ratios"))
        if not _positive_shares(ratios):
            # A zero train share leaves no training data, a zero test share nothing to evaluate, and
            # a zero valid share nothing for trainer.monitor (early stopping, the best epoch).
            raise ConfigError("split.ratios", f"need three positive shares (train, valid, test), got {ratios}",
                              "e.g. [0.8, 0.1, 0.1]; the shares are divided by their sum, as RecBole "
                              "does, so [8, 1, 1] is [0.8, 0.1, 0.1]")


def make_split(user: np.ndarray, timestamp: np.ndarray | None, split_cfg) -> FixedSplit:
    """Split every user's interactions into train / valid / test."""
    validate_split_config(split_cfg)
    n = len(user)
    if split_cfg["order"] == "TO":
        if timestamp is None:
            raise ConfigError("split.order", "TO needs a timestamp column in the dataset", "RO")
        order = np.argsort(timestamp, kind="stable")
    else:
        order = np.random.default_rng(int(split_cfg["seed"])).permutation(n)
    order = order[np.argsort(user[order], kind="stable")]  # group by user, keep the order

    counts = np.bincount(user[order])
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    grouped_user = user[order]
    position = np.arange(n) - starts[grouped_user]
    total = counts[grouped_user]

    if split_cfg["mode"] == "RS":
        ratios = normalised_ratios(split_cfg["ratios"])
        first_at = np.zeros(counts.max() + 1, dtype=np.int64)  # cut points by count
        second_at = np.zeros(counts.max() + 1, dtype=np.int64)
        for t in np.unique(counts[counts > 0]):
            first_at[t], second_at[t] = ratio_cut_points(int(t), ratios)
        first_cut, second_cut = first_at[total], second_at[total]
    else:  # LS valid_and_test, as RecBole's leave_one_out: never leaves a user without train
        held = np.minimum(2, total - 1)  # 2: one valid + one test; 1: test only; 0: train only
        first_cut = total - held
        second_cut = total - 1
    part = np.where(position < first_cut, 0, np.where(position < second_cut, 1, 2))
    return FixedSplit(
        train=np.sort(order[part == 0]),
        valid=np.sort(order[part == 1]),
        test=np.sort(order[part == 2]),
    )
