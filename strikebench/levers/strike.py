"""The data strike: participants delete their training-side data from a company."""
from __future__ import annotations

import numpy as np

from strikebench.levers.state import CompanyView, LeverState


class Strike:
    """Remove every train and valid interaction of the participants from ``company``.

    Their test interactions stay: they are still the company's users and are still evaluated.
    """

    name = "strike"

    def __init__(self, user: np.ndarray, company: str = "incumbent"):
        self.user = user  # user id of every row of the dataset
        self.company = company

    def __call__(self, state: LeverState) -> LeverState:
        view = state.companies[self.company]
        striking = state.participants.mask(int(self.user.max()) + 1)
        keep_train = ~striking[self.user[view.train]]
        keep_valid = ~striking[self.user[view.valid]]
        new_view = CompanyView(view.name, train=view.train[keep_train], valid=view.valid[keep_valid])
        action = {
            "lever": self.name,
            "company": self.company,
            "removed_train": int((~keep_train).sum()),
            "removed_valid": int((~keep_valid).sum()),
        }
        return state.with_company(new_view, action)


class Compose:
    """Apply levers in order."""

    def __init__(self, levers):
        self.levers = list(levers)

    def __call__(self, state: LeverState) -> LeverState:
        for lever in self.levers:
            state = lever(state)
        return state
