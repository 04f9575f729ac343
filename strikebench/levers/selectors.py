"""Who acts: selectors decide which users are eligible to participate.

A selector looks only at the training side of the fixed split (train + valid), never at the
test set. It returns the group; :func:`~strikebench.levers.participants.draw_participants`
then draws the participants from it, exactly as for the random strike.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from strikebench.data.split import FixedSplit
from strikebench.errors import ConfigError
from strikebench.levers import fields
from strikebench.levers.categories import category_items, category_name, feature_column, matching
from strikebench.levers.participants import participant_count


class Group(NamedTuple):
    users: np.ndarray  # internal user ids, sorted
    name: str  # e.g. "gender=F": written with the result


def training_side(split: FixedSplit) -> np.ndarray:
    return np.concatenate([split.train, split.valid])


class RandomSelector:
    """Every user on the training side."""

    name = "random"
    FIELDS: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, cfg, where: str) -> "RandomSelector":
        fields.only_fields(cfg, cls.FIELDS, where)
        return cls()

    def __call__(self, data, split: FixedSplit) -> Group:
        return Group(split.eligible_users(data.user), "all users")


class AttributeSelector:
    """Users with a value of a user feature (``gender=F``, ``occupation=student``), or a numeric
    range of one (``age`` with ``max: 17``); ``min`` and ``max`` are inclusive."""

    name = "attribute"
    FIELDS = ("field", "value", "min", "max")

    def __init__(self, field: str, values: list[str] | None = None, low: float | None = None,
                 high: float | None = None, where: str = "strike.selector"):
        self.field, self.values, self.low, self.high, self.where = field, values, low, high, where

    @classmethod
    def from_config(cls, cfg, where: str) -> "AttributeSelector":
        fields.only_fields(cfg, cls.FIELDS, where)
        field = fields.text(cfg, "field", where)
        values = fields.values(cfg, "value", where, optional=True)
        low = fields.number(cfg, "min", where, optional=True)
        high = fields.number(cfg, "max", where, optional=True)
        if values is None and low is None and high is None:
            raise ConfigError(f"{where}.value", f"give a value of {field!r}, or a range with min / max")
        if values is not None and (low is not None or high is not None):
            raise ConfigError(f"{where}.value", "give a value or a min / max range, not both")
        if low is not None and high is not None and low > high:
            raise ConfigError(f"{where}.min", f"min {low} is above max {high}")
        return cls(field, values, low, high, where)

    def group_name(self) -> str:
        if self.values is not None:
            return category_name(self.field, self.values)
        if self.low is not None and self.high is not None:
            return f"{self.low:g}<={self.field}<={self.high:g}"
        return f"{self.field}>={self.low:g}" if self.low is not None else f"{self.field}<={self.high:g}"

    def __call__(self, data, split: FixedSplit) -> Group:
        column = feature_column(data.user_features, self.field, self.where, "user")
        eligible = split.eligible_users(data.user)
        if self.values is not None:
            hit = matching(column, self.values, self.where, "user")
            members = column.index.to_numpy(np.int64)[hit]
        else:
            numeric = pd.to_numeric(column.where(column != "[PAD]"), errors="coerce")
            if numeric.notna().sum() == 0:
                raise ConfigError(f"{self.where}.field", f"user feature {self.field!r} is not numeric; "
                                  "a min / max range needs numbers", "use value")
            ok = numeric.notna()
            if self.low is not None:
                ok &= numeric >= self.low
            if self.high is not None:
                ok &= numeric <= self.high
            members = numeric.index.to_numpy(np.int64)[ok.to_numpy()]
        return Group(np.intersect1d(eligible, members), self.group_name())


class FansSelector:
    """Users whose history leans to a category of an item feature (``class=Horror``).

    With ratings: at least ``min_ratings`` ratings in the category with a mean of at least
    ``min_mean_rating`` (Vincent et al. 2019: 10 and 4). Without ratings: at least a share
    ``min_share`` of the user's interactions are in the category. ``by: auto`` picks ratings
    when the dataset has them.
    """

    name = "fans"
    FIELDS = ("field", "value", "by", "min_ratings", "min_mean_rating", "min_share")
    BY = ("auto", "ratings", "share")

    def __init__(self, field: str, values: list[str], by: str = "auto", min_ratings: int = 10,
                 min_mean_rating: float = 4.0, min_share: float = 0.2, where: str = "strike.selector"):
        self.field, self.values, self.by = field, values, by
        self.min_ratings, self.min_mean_rating, self.min_share, self.where = min_ratings, min_mean_rating, min_share, where

    @classmethod
    def from_config(cls, cfg, where: str) -> "FansSelector":
        fields.only_fields(cfg, cls.FIELDS, where)
        field = fields.text(cfg, "field", where)
        values = fields.values(cfg, "value", where)
        by = fields.choice(cfg, "by", where, cls.BY)
        min_ratings = fields.number(cfg, "min_ratings", where, low=1, integer=True)
        min_mean = float(fields.number(cfg, "min_mean_rating", where))
        min_share = float(fields.number(cfg, "min_share", where, low=0.0, high=1.0))
        if min_share == 0.0:
            raise ConfigError(f"{where}.min_share", "must be above 0 (0 would make every user a fan)", "0 < min_share <= 1")
        return cls(field, values, by, int(min_ratings), min_mean, min_share, where)

    def uses_ratings(self, data) -> bool:
        if self.by == "ratings" and data.rating is None:
            raise ConfigError(f"{self.where}.by", "the dataset has no ratings", "share, auto")
        return self.by == "ratings" or (self.by == "auto" and data.rating is not None)

    def __call__(self, data, split: FixedSplit) -> Group:
        in_category = category_items(data.item_features, data.n_items, self.field, self.values, self.where)
        rows = training_side(split)
        users, hit = data.user[rows], in_category[data.item[rows]]
        n_in = np.bincount(users[hit], minlength=data.n_users)
        category = category_name(self.field, self.values)
        if self.uses_ratings(data):
            total = np.bincount(users[hit], weights=np.asarray(data.rating, dtype=np.float64)[rows][hit], minlength=data.n_users)
            mean = np.divide(total, n_in, out=np.zeros_like(total), where=n_in > 0)
            # a small tolerance: means of integer ratings like 4.0 must not fall just below 4
            fans = (n_in >= self.min_ratings) & (mean >= self.min_mean_rating - 1e-9)
            name = f"fans of {category} (>= {self.min_ratings} ratings, mean >= {self.min_mean_rating:g})"
        else:
            n_all = np.bincount(users, minlength=data.n_users)
            fans = (n_in > 0) & (n_in >= self.min_share * n_all - 1e-9)
            name = f"fans of {category} (share >= {self.min_share:g})"
        return Group(np.flatnonzero(fans), name)


class ActivitySelector:
    """Power users (top ``share`` by number of train + valid interactions) or light users
    (bottom ``share``). The count is round(share * N), half up, at least 1; ties at the
    boundary go to the smaller user id."""

    name = "activity"
    FIELDS = ("level", "share")
    LEVELS = ("power", "light")

    def __init__(self, level: str, share: float):
        self.level, self.share = level, share

    @classmethod
    def from_config(cls, cfg, where: str) -> "ActivitySelector":
        fields.only_fields(cfg, cls.FIELDS, where)
        level = fields.choice(cfg, "level", where, cls.LEVELS)
        share = fields.share(cfg, "share", where)
        if share == 0.0:
            raise ConfigError(f"{where}.share", "must be above 0: a group of no users", "0 < share <= 1")
        return cls(level, share)

    def __call__(self, data, split: FixedSplit) -> Group:
        eligible = split.eligible_users(data.user)
        counts = np.bincount(data.user[training_side(split)], minlength=data.n_users)[eligible]
        order = np.lexsort((eligible, -counts if self.level == "power" else counts))
        n = participant_count(self.share, len(eligible)) if len(eligible) else 0
        end = "top" if self.level == "power" else "bottom"
        return Group(np.sort(eligible[order[:n]]), f"{self.level} users ({end} {100 * self.share:g}% by interactions)")
