"""The partial strike: participants delete a share of their data, or only one category of it."""
from __future__ import annotations

import numpy as np

from strikebench.errors import ConfigError
from strikebench.levers import fields, streams
from strikebench.levers.base import Lever, Where
from strikebench.levers.categories import category_items, category_name
from strikebench.levers.rows import participant_rows, share_per_user
from strikebench.levers.state import Change, LeverState


class PartialStrike(Lever):
    """Remove a share ``share`` of each participant's train + valid rows in ``company``
    (round(share * n) per participant, half up, seeded and nested across shares).

    With ``field`` and ``value`` (an item feature and one or more of its values) only the
    participant's interactions with those items are candidates: ``share: 1`` with
    ``field: class, value: Horror`` is a genre boycott.
    """

    name = "partial_strike"
    FIELDS = ("company", "share", "field", "value")

    def __init__(self, share: float, company: str = "incumbent", field: str | None = None,
                 value: str | list | None = None, *, where: "str | Where | None" = None):
        super().__init__(where)
        self.field = fields.text(field, self.where.field("field"), optional=True)
        self.value = fields.values(value, self.where.field("value"), optional=True)
        if (self.field is None) != (self.value is None):
            raise ConfigError(self.where.field("value" if self.value is None else "field"),
                              "a category needs both field and value (or neither, for any interaction)")
        self.share = fields.share(share, self.where.field("share"))
        self.company = fields.text(company, self.where.field("company"))

    @property
    def category(self) -> str | None:
        return None if self.field is None else category_name(self.field, self.value)

    def _get_params(self, state: LeverState) -> dict:
        if self.field is None:
            return {"in_category": None}
        data = state.data
        return {"in_category": category_items(data.item_features, data.n_items, self.field, self.value, self.where)}

    def _transform(self, state: LeverState, params: dict) -> LeverState:
        view = self.company_view(state)
        user = state.data.user
        candidates = participant_rows(view.rows(), user, state.participants.users)
        if params["in_category"] is not None:
            candidates = candidates[params["in_category"][view.items(state.data.item, candidates)]]
        gone = share_per_user(candidates, user, self.share, state.seed, streams.PARTIAL_STRIKE)
        gone_train, gone_valid = np.intersect1d(gone, view.train), np.intersect1d(gone, view.valid)
        details = {"share": self.share} if self.category is None else {"share": self.share, "category": self.category}
        return state.step(self.name, [view.without(gone)],
                          [Change.removed("train", gone_train), Change.removed("valid", gone_valid)],
                          company=self.company, **details)
