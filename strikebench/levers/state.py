"""What each company holds in one cell, and what the levers did to get there."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from strikebench.data.split import FixedSplit
from strikebench.levers.participants import Participants


@dataclass(frozen=True)
class CompanyView:
    """Row indices of the interactions a company trains and validates on.

    Every company is evaluated on the fixed test set, which no lever touches.
    """

    name: str
    train: np.ndarray
    valid: np.ndarray


@dataclass(frozen=True)
class LeverState:
    split: FixedSplit
    participants: Participants
    companies: dict[str, CompanyView]
    actions: list[dict] = field(default_factory=list)  # one entry per lever applied

    def with_company(self, company: CompanyView, action: dict) -> "LeverState":
        companies = dict(self.companies)
        companies[company.name] = company
        return replace(self, companies=companies, actions=[*self.actions, action])


def initial_state(split: FixedSplit, participants: Participants) -> LeverState:
    """Before any lever: one company, the incumbent, holds all training data."""
    incumbent = CompanyView("incumbent", train=split.train, valid=split.valid)
    return LeverState(split=split, participants=participants, companies={"incumbent": incumbent})
