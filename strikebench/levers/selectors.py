"""Who acts: selectors decide which users are eligible to participate.

A selector looks only at the training side of the fixed split (train + valid), never at the
test set. It returns the group; :func:`~strikebench.levers.participants.draw_participants`
then draws the participants from it, exactly as for the random strike. Selectors follow the
protocol of strikebench/levers/base.py.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from strikebench.data.split import FixedSplit
from strikebench.errors import ConfigError
from strikebench.levers import fields
from strikebench.levers.base import Group, Selector, Where
from strikebench.levers.categories import category_items, category_name, feature_column, matching
from strikebench.levers.participants import participant_count


def training_side(split: FixedSplit) -> np.ndarray:
    return np.concatenate([split.train, split.valid])


class RandomSelector(Selector):
    """Every user on the training side."""

    name = "random"

    def _select(self, data, split: FixedSplit, params: dict) -> Group:
        return Group(split.eligible_users(data.user), "all users")


class AttributeSelector(Selector):
    """Users with a value of a user feature (``gender=F``, ``occupation=student``), or a numeric
    range of one (``age`` with ``max: 17``); ``min`` and ``max`` are inclusive."""

    name = "attribute"
    FIELDS = ("field", "value", "min", "max")

    def __init__(self, field: str, value: str | list | None = None, min: float | None = None,
                 max: float | None = None, *, where: "str | Where | None" = None):  # min, max: the config's names
        super().__init__(where)
        at = self.where.field
        self.field = fields.text(field, at("field"))
        self.value = fields.values(value, at("value"), optional=True)
        self.min = fields.number(min, at("min"), optional=True)
        self.max = fields.number(max, at("max"), optional=True)
        if self.value is None and self.min is None and self.max is None:
            raise ConfigError(at("value"), f"give a value of {self.field!r}, or a range with min / max")
        if self.value is not None and (self.min is not None or self.max is not None):
            raise ConfigError(at("value"), "give a value or a min / max range, not both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ConfigError(at("min"), f"min {self.min} is above max {self.max}")

    def group_name(self) -> str:
        if self.value is not None:
            return category_name(self.field, self.value)
        if self.min is not None and self.max is not None:
            return f"{self.min:g}<={self.field}<={self.max:g}"
        return f"{self.field}>={self.min:g}" if self.min is not None else f"{self.field}<={self.max:g}"

    def _get_params(self, data, split: FixedSplit) -> dict:
        return {"column": feature_column(data.user_features, self.field, self.where, "user")}

    def _select(self, data, split: FixedSplit, params: dict) -> Group:
        column = params["column"]
        eligible = split.eligible_users(data.user)
        if self.value is not None:
            hit = matching(column, self.value, self.where, "user")
            members = column.index.to_numpy(np.int64)[hit]
        else:
            numeric = pd.to_numeric(column.where(column != "[PAD]"), errors="coerce")
            if numeric.notna().sum() == 0:
                raise ConfigError(self.where.field("field"), f"user feature {self.field!r} is not numeric; "
                                  "a min / max range needs numbers", "use value")
            ok = numeric.notna()
            if self.min is not None:
                ok &= numeric >= self.min
            if self.max is not None:
                ok &= numeric <= self.max
            members = numeric.index.to_numpy(np.int64)[ok.to_numpy()]
        return Group(np.intersect1d(eligible, members), self.group_name())


class FansSelector(Selector):
    """Users whose history leans to a category of an item feature (``class=Horror``).

    With ratings: at least ``min_ratings`` ratings in the category with a mean of at least
    ``min_mean_rating`` (Vincent et al. 2019: 10 and 4). Without ratings: at least a share
    ``min_share`` of the user's interactions are in the category. ``by: auto`` picks ratings
    when the dataset has them.
    """

    name = "fans"
    FIELDS = ("field", "value", "by", "min_ratings", "min_mean_rating", "min_share")
    BY = ("auto", "ratings", "share")

    def __init__(self, field: str, value: str | list, by: str = "auto", min_ratings: int = 10,
                 min_mean_rating: float = 4.0, min_share: float = 0.2, *, where: "str | Where | None" = None):
        super().__init__(where)
        at = self.where.field
        self.field = fields.text(field, at("field"))
        self.value = fields.values(value, at("value"))
        self.by = fields.choice(by, at("by"), self.BY)
        self.min_ratings = int(fields.number(min_ratings, at("min_ratings"), low=1, integer=True))
        self.min_mean_rating = float(fields.number(min_mean_rating, at("min_mean_rating")))
        self.min_share = float(fields.number(min_share, at("min_share"), low=0.0, high=1.0))
        if self.min_share == 0.0:
            raise ConfigError(at("min_share"), "must be above 0 (0 would make every user a fan)", "0 < min_share <= 1")

    def _get_params(self, data, split: FixedSplit) -> dict:
        in_category = category_items(data.item_features, data.n_items, self.field, self.value, self.where)
        if self.by == "ratings" and data.rating is None:
            raise ConfigError(self.where.field("by"), "the dataset has no ratings", "share, auto")
        return {"in_category": in_category, "by_ratings": self.by == "ratings" or (self.by == "auto" and data.rating is not None)}

    def _select(self, data, split: FixedSplit, params: dict) -> Group:
        rows = training_side(split)
        users, hit = data.user[rows], params["in_category"][data.item[rows]]
        n_in = np.bincount(users[hit], minlength=data.n_users)
        category = category_name(self.field, self.value)
        if params["by_ratings"]:
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


class ActivitySelector(Selector):
    """Power users (top ``share`` by number of train + valid interactions) or light users
    (bottom ``share``). The count is round(share * N), half up, at least 1; ties at the
    boundary go to the smaller user id."""

    name = "activity"
    FIELDS = ("level", "share")
    LEVELS = ("power", "light")

    def __init__(self, level: str, share: float, *, where: "str | Where | None" = None):
        super().__init__(where)
        self.level = fields.choice(level, self.where.field("level"), self.LEVELS)
        self.share = fields.share(share, self.where.field("share"))
        if self.share == 0.0:
            raise ConfigError(self.where.field("share"), "must be above 0: a group of no users", "0 < share <= 1")

    def _select(self, data, split: FixedSplit, params: dict) -> Group:
        eligible = split.eligible_users(data.user)
        counts = np.bincount(data.user[training_side(split)], minlength=data.n_users)[eligible]
        order = np.lexsort((eligible, -counts if self.level == "power" else counts))
        n = participant_count(self.share, len(eligible)) if len(eligible) else 0
        end = "top" if self.level == "power" else "bottom"
        return Group(np.sort(eligible[order[:n]]), f"{self.level} users ({end} {100 * self.share:g}% by interactions)")
