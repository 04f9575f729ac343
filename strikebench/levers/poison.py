"""Data poisoning: participants keep contributing, but their interactions point at other items."""
from __future__ import annotations

import numpy as np

from strikebench.errors import ConfigError, DataError
from strikebench.levers import fields, streams
from strikebench.levers.base import Lever, Where
from strikebench.levers.categories import category_items, category_name
from strikebench.levers.rows import participant_rows, share_per_user
from strikebench.levers.state import Change, LeverState


def nth_allowed(excluded: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Index of the j-th position (0-based) of 0, 1, 2, ... that is not in sorted ``excluded``."""
    return j + np.searchsorted(excluded - np.arange(len(excluded)), j, side="right")


class Poison(Lever):
    """Rewrite a share ``share`` of each participant's train + valid rows in ``company`` to point
    at random items (``target: random``) or at items of a category (``target: category`` with an
    item feature ``field`` and its ``value``).

    Replacement items are ones the user has in no split (train, valid or test), so nothing leaks
    into or out of the test set; a user's replacements are distinct while the pool allows. The
    number of interactions is unchanged; ratings and timestamps stay as they were.
    """

    name = "poison"
    FIELDS = ("company", "share", "target", "field", "value")
    TARGETS = ("random", "category")

    def __init__(self, share: float = 1.0, company: str = "incumbent", target: str = "random",
                 field: str | None = None, value: str | list | None = None, *, where: "str | Where | None" = None):
        super().__init__(where)
        at = self.where.field
        self.target = fields.choice(target, at("target"), self.TARGETS)
        self.field = fields.text(field, at("field"), optional=True)
        self.value = fields.values(value, at("value"), optional=True)
        if self.target == "category" and (self.field is None or self.value is None):
            raise ConfigError(at("field" if self.field is None else "value"), "target: category needs a field and a value")
        if self.target == "random" and (self.field is not None or self.value is not None):
            raise ConfigError(at("target"), "field and value are set but target is random", "category")
        self.company = fields.text(company, at("company"))
        self.share = fields.share(share, at("share"))

    @property
    def target_name(self) -> str:
        """What the rewritten rows point at, as the record says it: random items, or class=Horror."""
        return "random items" if self.field is None else category_name(self.field, self.value)

    def _get_params(self, state: LeverState) -> dict:
        data = state.data
        if self.field is None:
            mask = np.ones(data.n_items, dtype=bool)
        else:
            mask = category_items(data.item_features, data.n_items, self.field, self.value, self.where)
        mask[0] = False  # RecBole's padding item
        order = np.argsort(data.user, kind="stable")  # every row of every split, grouped by user
        return {"pool": np.flatnonzero(mask), "rows_by_user": order,
                "indptr": np.concatenate([[0], np.cumsum(np.bincount(data.user))])}

    def replacements(self, state: LeverState, params: dict, u: int, k: int) -> np.ndarray:
        """k items for user u from the pool, none of which u has in any split (seeded per user)."""
        pool, indptr = params["pool"], params["indptr"]
        user_items = np.unique(state.data.item[params["rows_by_user"][indptr[u]:indptr[u + 1]]])
        excluded = np.searchsorted(pool, np.intersect1d(user_items, pool))
        allowed = len(pool) - len(excluded)
        if allowed == 0:
            raise DataError(f"{self.where}: user {u} (internal id) already has every item of {self.target_name}; "
                            "nothing to poison with (choose another category)")
        rng = streams.rng(state.seed, streams.POISON, u)
        if k <= allowed:
            j = rng.choice(allowed, size=k, replace=False)
        else:  # more rows than free items: every free item once per round
            j = np.concatenate([rng.permutation(allowed) for _ in range(-(-k // allowed))])[:k]
        return pool[nth_allowed(excluded, j)]

    def _transform(self, state: LeverState, params: dict) -> LeverState:
        view = self.company_view(state)
        user = state.data.user
        candidates = participant_rows(view.rows(), user, state.participants.users)
        rows = share_per_user(candidates, user, self.share, state.seed, streams.POISON)
        new_items = np.empty(len(rows), dtype=np.int64)
        owners = user[rows]
        order = np.argsort(owners, kind="stable")
        for at in np.split(order, np.flatnonzero(np.diff(owners[order])) + 1) if len(rows) else []:
            new_items[at] = self.replacements(state, params, int(owners[at[0]]), len(at))
        in_train = np.isin(rows, view.train)
        return state.step(self.name, [view.rewritten(rows, new_items)],
                          [Change.rewritten("train", rows[in_train], new_items[in_train]),
                           Change.rewritten("valid", rows[~in_train], new_items[~in_train])],
                          company=self.company, share=self.share, target=self.target_name)
