"""Conscious data contribution: a competitor opens, and participants give it their data.

Vincent and Hecht (CSCW 2021). The three variants are compositions (conf/strike/lever/):
transfer = [competitor, transfer]; transfer+strike = [competitor, transfer, strike];
cdc_strike (strike only) = [competitor, strike].
"""
from __future__ import annotations

import numpy as np

from strikebench.errors import ConfigError
from strikebench.levers import fields
from strikebench.levers.participants import participant_count
from strikebench.levers.rows import participant_rows
from strikebench.levers.state import CompanyView, LeverState, minus

SALT = 3  # the competitor's base users are a draw of their own, apart from the participants'


def base_users(eligible: np.ndarray, share: float, seed: int) -> np.ndarray:
    """round(share * N) users (half up, at least 1 when share > 0) of a seeded permutation.

    The draw depends only on (eligible users, seed), not on the participants: base users may
    be participants too (the groups are not made disjoint), and a smaller share picks a subset
    of a larger share's users.
    """
    eligible = np.unique(eligible)
    order = np.random.default_rng([int(seed), SALT]).permutation(len(eligible))
    return np.sort(eligible[order[: participant_count(share, len(eligible))]])


class Competitor:
    """Open the company ``company`` with its own base data: all train and valid rows of a
    random share ``base_share`` of the users (0: it starts with nothing)."""

    name = "competitor"
    where = "strike.lever"  # the config path, for errors; set by build_lever
    FIELDS = ("company", "base_share")

    def __init__(self, user: np.ndarray, base_share: float, seed: int, company: str = "competitor"):
        self.user, self.base_share, self.seed, self.company = user, float(base_share), int(seed), company

    @classmethod
    def params(cls, cfg, where: str, split_cfg=None) -> dict:
        fields.only_fields(cfg, cls.FIELDS, where)
        return {"company": fields.text(cfg, "company", where), "base_share": fields.share(cfg, "base_share", where)}

    @classmethod
    def from_config(cls, cfg, where: str, ctx) -> "Competitor":
        p = cls.params(cfg, where, ctx.split_cfg)
        return cls(ctx.data.user, p["base_share"], ctx.seed, p["company"])

    def __call__(self, state: LeverState) -> LeverState:
        if self.company in state.companies:
            raise ConfigError(f"{self.where}.company", f"a competitor lever opens {self.company!r}, which already exists")
        users = base_users(state.split.eligible_users(self.user), self.base_share, self.seed)
        train = participant_rows(state.split.train, self.user, users)
        valid = participant_rows(state.split.valid, self.user, users)
        view = CompanyView(self.company, train=train, valid=valid)
        return state.step(self.name, [view], [("added", "train", train), ("added", "valid", valid)],
                          company=self.company, base_share=self.base_share, base_users=int(len(users)))


class Transfer:
    """Participants give a copy of their train and valid rows in ``from_company`` (as that
    company holds them) to ``to_company``, which is opened empty if it does not exist yet.
    The source keeps its copy: compose with a strike to take it away."""

    name = "transfer"
    where = "strike.lever"  # the config path, for errors; set by build_lever
    FIELDS = ("from_company", "to_company")

    def __init__(self, user: np.ndarray, from_company: str = "incumbent", to_company: str = "competitor"):
        self.user, self.from_company, self.to_company = user, from_company, to_company

    @classmethod
    def params(cls, cfg, where: str, split_cfg=None) -> dict:
        fields.only_fields(cfg, cls.FIELDS, where)
        p = {"from_company": fields.text(cfg, "from_company", where), "to_company": fields.text(cfg, "to_company", where)}
        if p["from_company"] == p["to_company"]:
            raise ConfigError(f"{where}.to_company", f"transfers from {p['from_company']!r} to itself")
        return p

    @classmethod
    def from_config(cls, cfg, where: str, ctx) -> "Transfer":
        return cls(ctx.data.user, **cls.params(cfg, where, ctx.split_cfg))

    def __call__(self, state: LeverState) -> LeverState:
        source = state.company(self.from_company, f"{self.where}.from_company")
        target = state.companies.get(self.to_company) or CompanyView(self.to_company, source.train[:0], source.valid[:0])
        users = state.participants.users
        train = participant_rows(source.train, self.user, users)
        valid = participant_rows(source.valid, self.user, users)
        added_train, added_valid = minus(train, target.train), minus(valid, target.valid)
        # rows the source holds rewritten (poisoned) arrive as the source holds them
        carried = np.isin(source.rewritten_rows, np.concatenate([added_train, added_valid]))
        rows, items = source.rewritten_rows[carried], source.new_items[carried]
        in_train = np.isin(rows, added_train)
        changes = [("added", "train", added_train), ("added", "valid", added_valid)]
        if len(rows):
            changes += [("rewritten", "train", rows[in_train], items[in_train]),
                        ("rewritten", "valid", rows[~in_train], items[~in_train])]
        return state.step(self.name, [target.with_rows(train, valid, rows, items)], changes,
                          company=self.to_company, from_company=self.from_company,
                          transferred={"train": int(len(train)), "valid": int(len(valid))})
