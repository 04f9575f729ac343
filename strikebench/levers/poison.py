"""Data poisoning: participants keep contributing, but their interactions point at other items."""
from __future__ import annotations

import numpy as np

from strikebench.errors import ConfigError, DataError
from strikebench.levers import fields
from strikebench.levers.categories import category_items, category_name
from strikebench.levers.rows import participant_rows, share_per_user
from strikebench.levers.state import LeverState

SALT = 2  # keeps this lever's seeded draws apart from other levers'


def nth_allowed(excluded: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Index of the j-th position (0-based) of 0, 1, 2, ... that is not in sorted ``excluded``."""
    return j + np.searchsorted(excluded - np.arange(len(excluded)), j, side="right")


class Poison:
    """Rewrite a share ``share`` of each participant's train + valid rows in ``company`` to point
    at random items (``target_items`` None) or at items of a category (``target_items`` a bool
    mask per item).

    Replacement items are ones the user has in no split (train, valid or test), so nothing leaks
    into or out of the test set; a user's replacements are distinct while the pool allows. The
    number of interactions is unchanged; ratings and timestamps stay as they were.
    """

    name = "poison"
    where = "strike.lever"  # the config path, for errors; set by build_lever
    FIELDS = ("company", "share", "target", "field", "value")
    TARGETS = ("random", "category")

    def __init__(self, user: np.ndarray, item: np.ndarray, n_items: int, seed: int, company: str = "incumbent",
                 share: float = 1.0, target_items: np.ndarray | None = None, target: str = "random items"):
        self.user, self.item, self.seed, self.company = user, item, int(seed), company
        self.share, self.target = float(share), target
        mask = np.ones(n_items, dtype=bool) if target_items is None else np.asarray(target_items, dtype=bool).copy()
        mask[0] = False  # RecBole's padding item
        self.pool = np.flatnonzero(mask)
        order = np.argsort(user, kind="stable")  # every row of every split, grouped by user
        self._rows_by_user = order
        self._indptr = np.concatenate([[0], np.cumsum(np.bincount(user))])

    @classmethod
    def params(cls, cfg, where: str, split_cfg=None) -> dict:
        fields.only_fields(cfg, cls.FIELDS, where)
        target = fields.choice(cfg, "target", where, cls.TARGETS)
        field = fields.text(cfg, "field", where, optional=True)
        values = fields.values(cfg, "value", where, optional=True)
        if target == "category" and (field is None or values is None):
            raise ConfigError(f"{where}.{'field' if field is None else 'value'}", "target: category needs a field and a value")
        if target == "random" and (field is not None or values is not None):
            raise ConfigError(f"{where}.target", "field and value are set but target is random", "category")
        return {"company": fields.text(cfg, "company", where), "share": fields.share(cfg, "share", where),
                "field": field, "values": values}

    @classmethod
    def from_config(cls, cfg, where: str, ctx) -> "Poison":
        p = cls.params(cfg, where, ctx.split_cfg)
        data = ctx.data
        target_items, target = None, "random items"
        if p["field"] is not None:
            target_items = category_items(data.item_features, data.n_items, p["field"], p["values"], where)
            target = category_name(p["field"], p["values"])
        return cls(data.user, data.item, data.n_items, ctx.seed, p["company"], p["share"], target_items, target)

    def user_items(self, u: int) -> np.ndarray:
        return np.unique(self.item[self._rows_by_user[self._indptr[u]:self._indptr[u + 1]]])

    def replacements(self, u: int, k: int) -> np.ndarray:
        """k items for user u from the pool, none of which u has in any split (seeded per user)."""
        excluded = np.searchsorted(self.pool, np.intersect1d(self.user_items(u), self.pool))
        allowed = len(self.pool) - len(excluded)
        if allowed == 0:
            raise DataError(f"{self.where}: user {u} (internal id) already has every item of {self.target}; "
                            "nothing to poison with (choose another category)")
        rng = np.random.default_rng([self.seed, SALT, int(u)])
        if k <= allowed:
            j = rng.choice(allowed, size=k, replace=False)
        else:  # more rows than free items: every free item once per round
            j = np.concatenate([rng.permutation(allowed) for _ in range(-(-k // allowed))])[:k]
        return self.pool[nth_allowed(excluded, j)]

    def __call__(self, state: LeverState) -> LeverState:
        view = state.company(self.company, f"{self.where}.company")
        candidates = participant_rows(view.rows(), self.user, state.participants.users)
        rows = share_per_user(candidates, self.user, self.share, self.seed, SALT)
        new_items = np.empty(len(rows), dtype=np.int64)
        owners = self.user[rows]
        order = np.argsort(owners, kind="stable")
        for at in np.split(order, np.flatnonzero(np.diff(owners[order])) + 1) if len(rows) else []:
            new_items[at] = self.replacements(int(owners[at[0]]), len(at))
        in_train = np.isin(rows, view.train)
        return state.step(self.name, [view.rewritten(rows, new_items)],
                          [("rewritten", "train", rows[in_train], new_items[in_train]),
                           ("rewritten", "valid", rows[~in_train], new_items[~in_train])],
                          company=self.company, share=self.share, target=self.target)
