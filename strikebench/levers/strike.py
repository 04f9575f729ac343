"""The data strike: participants delete their training-side data from a company."""
from __future__ import annotations

import numpy as np

from strikebench.levers import fields
from strikebench.levers.rows import participant_rows
from strikebench.levers.state import LeverState


class Strike:
    """Remove every train and valid interaction of the participants from ``company``.

    Their test interactions stay: they are still the company's users and are still evaluated.
    """

    name = "strike"
    where = "strike.lever"  # the config path, for errors; set by build_lever
    FIELDS = ("company",)

    def __init__(self, user: np.ndarray, company: str = "incumbent"):
        self.user = user  # user id of every row of the dataset
        self.company = company

    @classmethod
    def params(cls, cfg, where: str, split_cfg=None) -> dict:
        fields.only_fields(cfg, cls.FIELDS, where)
        return {"company": fields.text(cfg, "company", where)}

    @classmethod
    def from_config(cls, cfg, where: str, ctx) -> "Strike":
        return cls(ctx.data.user, **cls.params(cfg, where, ctx.split_cfg))

    def __call__(self, state: LeverState) -> LeverState:
        view = state.company(self.company, f"{self.where}.company")
        users = state.participants.users
        gone_train = participant_rows(view.train, self.user, users)
        gone_valid = participant_rows(view.valid, self.user, users)
        new_view = view.without(np.concatenate([gone_train, gone_valid]))
        return state.step(self.name, [new_view],
                          [("removed", "train", gone_train), ("removed", "valid", gone_valid)],
                          company=self.company)


class Compose:
    """Apply levers in order: the participants are the same for each."""

    name = "compose"

    def __init__(self, levers, name: str = "compose"):
        self.levers = list(levers)
        self.name = name

    def __call__(self, state: LeverState) -> LeverState:
        for lever in self.levers:
            state = lever(state)
        return state
