"""The data strike: participants delete their training-side data from a company."""
from __future__ import annotations

import numpy as np

from strikebench.levers import fields
from strikebench.levers.base import Lever, Where
from strikebench.levers.rows import participant_rows
from strikebench.levers.state import Change, LeverState


class Strike(Lever):
    """Remove every train and valid interaction of the participants from ``company``.

    Their test interactions stay: they are still the company's users and are still evaluated.
    """

    name = "strike"
    FIELDS = ("company",)

    def __init__(self, company: str = "incumbent", *, where: "str | Where | None" = None):
        super().__init__(where)
        self.company = fields.text(company, self.where.field("company"))

    def _transform(self, state: LeverState, params: dict) -> LeverState:
        view = self.company_view(state)
        user, users = state.data.user, state.participants.users
        gone_train = participant_rows(view.train, user, users)
        gone_valid = participant_rows(view.valid, user, users)
        return state.step(self.name, [view.without(np.concatenate([gone_train, gone_valid]))],
                          [Change.removed("train", gone_train), Change.removed("valid", gone_valid)],
                          company=self.company)
