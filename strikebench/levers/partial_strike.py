"""The partial strike: participants delete a share of their data, or only one category of it."""
from __future__ import annotations

import numpy as np

from strikebench.errors import ConfigError
from strikebench.levers import fields
from strikebench.levers.categories import category_items, category_name
from strikebench.levers.rows import participant_rows, share_per_user
from strikebench.levers.state import LeverState

SALT = 1  # keeps this lever's per-row draw apart from other seeded draws


class PartialStrike:
    """Remove a share ``share`` of each participant's train + valid rows in ``company``
    (round(share * n) per participant, half up, seeded and nested across shares).

    With ``in_category`` (bool per item) only the participant's interactions with those items
    are candidates: ``share: 1`` with ``field: class, value: Horror`` is a genre boycott.
    """

    name = "partial_strike"
    where = "strike.lever"  # the config path, for errors; set by build_lever
    FIELDS = ("company", "share", "field", "value")

    def __init__(self, user: np.ndarray, share: float, seed: int, company: str = "incumbent",
                 item: np.ndarray | None = None, in_category: np.ndarray | None = None, category: str | None = None):
        self.user, self.share, self.seed, self.company = user, float(share), int(seed), company
        self.item, self.in_category, self.category = item, in_category, category

    @classmethod
    def params(cls, cfg, where: str, split_cfg=None) -> dict:
        fields.only_fields(cfg, cls.FIELDS, where)
        field = fields.text(cfg, "field", where, optional=True)
        values = fields.values(cfg, "value", where, optional=True)
        if (field is None) != (values is None):
            raise ConfigError(f"{where}.{'value' if values is None else 'field'}",
                              "a category needs both field and value (or neither, for any interaction)")
        return {"share": fields.share(cfg, "share", where), "company": fields.text(cfg, "company", where),
                "field": field, "values": values}

    @classmethod
    def from_config(cls, cfg, where: str, ctx) -> "PartialStrike":
        p = cls.params(cfg, where, ctx.split_cfg)
        in_category = category = None
        if p["field"] is not None:
            in_category = category_items(ctx.data.item_features, ctx.data.n_items, p["field"], p["values"], where)
            category = category_name(p["field"], p["values"])
        return cls(ctx.data.user, p["share"], ctx.seed, p["company"], ctx.data.item, in_category, category)

    def __call__(self, state: LeverState) -> LeverState:
        view = state.company(self.company, f"{self.where}.company")
        candidates = participant_rows(view.rows(), self.user, state.participants.users)
        if self.in_category is not None:
            candidates = candidates[self.in_category[view.items(self.item, candidates)]]
        gone = share_per_user(candidates, self.user, self.share, self.seed, SALT)
        gone_train, gone_valid = np.intersect1d(gone, view.train), np.intersect1d(gone, view.valid)
        details = {"share": self.share} if self.category is None else {"share": self.share, "category": self.category}
        return state.step(self.name, [view.without(gone)],
                          [("removed", "train", gone_train), ("removed", "valid", gone_valid)],
                          company=self.company, **details)
