"""Conscious data contribution: a competitor opens, and participants give it their data.

Vincent and Hecht (CSCW 2021). The three variants are compositions (conf/strike/lever/):
transfer = [competitor, transfer]; transfer+strike = [competitor, transfer, strike];
cdc_strike (strike only) = [competitor, strike].
"""
from __future__ import annotations

import numpy as np

from strikebench.errors import ConfigError
from strikebench.levers import fields, streams
from strikebench.levers.base import Lever, Where
from strikebench.levers.participants import participant_count
from strikebench.levers.rows import participant_rows
from strikebench.levers.state import Change, CompanyView, LeverState, minus


def base_users(eligible: np.ndarray, share: float, seed: int) -> np.ndarray:
    """round(share * N) users (half up, at least 1 when share > 0) of a seeded permutation.

    The draw depends only on (eligible users, seed), not on the participants: base users may
    be participants too (the groups are not made disjoint), and a smaller share picks a subset
    of a larger share's users.
    """
    eligible = np.unique(eligible)
    order = streams.rng(seed, streams.COMPETITOR_BASE).permutation(len(eligible))
    return np.sort(eligible[order[: participant_count(share, len(eligible))]])


class Competitor(Lever):
    """Open the company ``company`` with its own base data: all train and valid rows of a
    random share ``base_share`` of the users (0: it starts with nothing)."""

    name = "competitor"
    FIELDS = ("company", "base_share")

    def __init__(self, base_share: float = 0.0, company: str = "competitor", *, where: "str | Where | None" = None):
        super().__init__(where)
        self.company = fields.text(company, self.where.field("company"))
        self.base_share = fields.share(base_share, self.where.field("base_share"))

    def _transform(self, state: LeverState, params: dict) -> LeverState:
        if self.company in state.companies:
            raise ConfigError(self.where.field("company"), f"a competitor lever opens {self.company!r}, which already exists")
        user = state.data.user
        users = base_users(state.split.eligible_users(user), self.base_share, state.seed)
        train = participant_rows(state.split.train, user, users)
        valid = participant_rows(state.split.valid, user, users)
        view = CompanyView(self.company, train=train, valid=valid)
        return state.step(self.name, [view], [Change.added("train", train), Change.added("valid", valid)],
                          company=self.company, base_share=self.base_share, base_users=int(len(users)))


class Transfer(Lever):
    """Participants give a copy of their train and valid rows in ``from_company`` (as that
    company holds them) to ``to_company``, which is opened empty if it does not exist yet.
    The source keeps its copy: compose with a strike to take it away."""

    name = "transfer"
    FIELDS = ("from_company", "to_company")

    def __init__(self, from_company: str = "incumbent", to_company: str = "competitor", *,
                 where: "str | Where | None" = None):
        super().__init__(where)
        self.from_company = fields.text(from_company, self.where.field("from_company"))
        self.to_company = fields.text(to_company, self.where.field("to_company"))
        if self.from_company == self.to_company:
            raise ConfigError(self.where.field("to_company"), f"transfers from {self.from_company!r} to itself")

    def _transform(self, state: LeverState, params: dict) -> LeverState:
        source = self.company_view(state, "from_company")
        target = state.companies.get(self.to_company) or CompanyView(self.to_company, source.train[:0], source.valid[:0])
        user, users = state.data.user, state.participants.users
        train = participant_rows(source.train, user, users)
        valid = participant_rows(source.valid, user, users)
        added_train, added_valid = minus(train, target.train), minus(valid, target.valid)
        # rows the source holds rewritten (poisoned) arrive as the source holds them
        carried = np.isin(source.rewritten_rows, np.concatenate([added_train, added_valid]))
        rows, items = source.rewritten_rows[carried], source.new_items[carried]
        in_train = np.isin(rows, added_train)
        changes = [Change.added("train", added_train), Change.added("valid", added_valid)]
        if len(rows):
            changes += [Change.rewritten("train", rows[in_train], items[in_train]),
                        Change.rewritten("valid", rows[~in_train], items[~in_train])]
        return state.step(self.name, [target.with_rows(train, valid, rows, items)], changes,
                          company=self.to_company, from_company=self.from_company,
                          transferred={"train": int(len(train)), "valid": int(len(valid))})
