"""What each company holds in one cell, and what the levers did to get there."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

import numpy as np

from strikebench.data.split import FixedSplit
from strikebench.errors import ConfigError
from strikebench.levers.participants import Participants

_NO_ROWS = np.zeros(0, dtype=np.int64)


def minus(rows: np.ndarray, removed: np.ndarray) -> np.ndarray:
    """np.setdiff1d(rows, removed): the sorted unique rows not in ``removed``.

    Written with np.isin because numpy 2's setdiff1d took 41 s on 16M rows where this takes 0.2 s.
    """
    rows = np.asarray(rows)
    if len(rows) > 1 and not bool(np.all(rows[1:] > rows[:-1])):  # views are sorted and unique already
        rows = np.unique(rows)
    return rows[~np.isin(rows, removed)]


@dataclass(frozen=True)
class CompanyView:
    """Row indices of the interactions a company trains and validates on.

    Poisoned rows keep their row index but point at another item: ``rewritten_rows`` (sorted)
    and ``new_items`` say which. Every company is evaluated on the fixed test set, which no
    lever touches.
    """

    name: str
    train: np.ndarray
    valid: np.ndarray
    rewritten_rows: np.ndarray = field(default_factory=lambda: _NO_ROWS)
    new_items: np.ndarray = field(default_factory=lambda: _NO_ROWS)

    @property
    def holds_data(self) -> bool:
        return len(self.train) > 0

    def rows(self) -> np.ndarray:
        return np.concatenate([self.train, self.valid])

    def items(self, item: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The item of each of ``rows`` as this company holds it (rewrites applied)."""
        out = np.asarray(item)[rows].copy()
        if len(self.rewritten_rows):
            at = np.searchsorted(self.rewritten_rows, rows)
            at = np.minimum(at, len(self.rewritten_rows) - 1)
            hit = self.rewritten_rows[at] == rows
            out[hit] = self.new_items[at[hit]]
        return out

    def item_array(self, item: np.ndarray) -> np.ndarray:
        """A copy of the dataset's item column with this company's rewrites applied."""
        out = np.array(item, copy=True)
        out[self.rewritten_rows] = self.new_items
        return out

    def without(self, rows: np.ndarray) -> "CompanyView":
        """This view less ``rows`` (and their rewrites)."""
        keep = ~np.isin(self.rewritten_rows, rows)
        return replace(self, train=minus(self.train, rows), valid=minus(self.valid, rows),
                       rewritten_rows=self.rewritten_rows[keep], new_items=self.new_items[keep])

    def with_rows(self, train: np.ndarray, valid: np.ndarray, rewritten_rows=_NO_ROWS, new_items=_NO_ROWS) -> "CompanyView":
        """This view plus ``train`` and ``valid`` rows; rows it already holds stay as they are."""
        new_train = minus(train, self.train)
        new_valid = minus(valid, self.valid)
        added = np.concatenate([new_train, new_valid])
        take = np.isin(rewritten_rows, added)
        return replace(self, train=np.union1d(self.train, new_train), valid=np.union1d(self.valid, new_valid)).rewritten(
            np.asarray(rewritten_rows)[take], np.asarray(new_items)[take])

    def rewritten(self, rows: np.ndarray, items: np.ndarray) -> "CompanyView":
        """This view with ``rows`` now pointing at ``items`` (a later rewrite of a row wins)."""
        rows, items = np.asarray(rows, dtype=np.int64), np.asarray(items, dtype=np.int64)
        keep = ~np.isin(self.rewritten_rows, rows)
        all_rows = np.concatenate([self.rewritten_rows[keep], rows])
        all_items = np.concatenate([self.new_items[keep], items])
        order = np.argsort(all_rows, kind="stable")
        return replace(self, rewritten_rows=all_rows[order], new_items=all_items[order])


@dataclass(frozen=True)
class Change:
    """Rows one lever changed in one company's train or valid data.

    A lever makes them with :meth:`removed` (the company lost the rows), :meth:`added` (it
    gained them: a competitor's base data or a transfer) or :meth:`rewritten` (poisoned: each
    row now points at its ``new_items`` entry), and hands them to :meth:`LeverState.step`, which
    fills in ``step``, ``lever`` and ``company``.
    """

    KINDS: ClassVar[tuple[str, ...]] = ("removed", "added", "rewritten")
    PARTS: ClassVar[tuple[str, ...]] = ("train", "valid")

    kind: str
    part: str
    rows: np.ndarray
    new_items: np.ndarray | None = None
    step: int | None = None  # position of the lever in the composition
    lever: str | None = None
    company: str | None = None

    def __post_init__(self):
        if self.kind not in self.KINDS or self.part not in self.PARTS:
            raise ValueError(f"a change is one of {self.KINDS} in one of {self.PARTS}, got {self.kind!r} in {self.part!r}")
        if (self.kind == "rewritten") != (self.new_items is not None):
            raise ValueError("new_items go with a rewrite, and only with a rewrite")

    @classmethod
    def removed(cls, part: str, rows: np.ndarray) -> "Change":
        return cls("removed", part, rows)

    @classmethod
    def added(cls, part: str, rows: np.ndarray) -> "Change":
        return cls("added", part, rows)

    @classmethod
    def rewritten(cls, part: str, rows: np.ndarray, new_items: np.ndarray) -> "Change":
        return cls("rewritten", part, rows, new_items)


@dataclass(frozen=True)
class LeverState:
    """What levers take and return: the data, the fixed split, the participants, what each
    company holds, and what every lever applied so far did."""

    data: object  # the dataset's arrays (InteractionData: user, item, n_items, timestamp, item_features)
    split: FixedSplit
    participants: Participants
    companies: dict[str, CompanyView]
    actions: list[dict] = field(default_factory=list)  # one summary per lever applied, with counts
    changes: list[Change] = field(default_factory=list)  # the exact rows behind those counts

    @property
    def seed(self) -> int:
        """The cell's seed, which drew the participants; each lever draws on a stream of its own
        (strikebench/levers/streams.py)."""
        return self.participants.seed

    def company(self, name: str, field_name: str = "strike.lever.company") -> CompanyView:
        if name not in self.companies:
            raise ConfigError(field_name, f"no company {name!r} at this point of the levers",
                              f"{', '.join(self.companies)}; a competitor lever opens one")
        return self.companies[name]

    def step(self, lever: str, views: list[CompanyView], changes: list[Change], company: str, **details) -> "LeverState":
        """Record one lever that changed ``company``: its new views, and its changes.

        The action counts rows per change, e.g. ``removed_train``, so the record says what was
        removed, added (moved) or rewritten without listing every row.
        """
        index = len(self.actions)
        companies = dict(self.companies)
        for view in views:
            companies[view.name] = view
        action = {"lever": lever, "company": company, **details}
        recorded = []
        for change in changes:
            if not isinstance(change, Change):
                raise TypeError(f"{lever}: changes are made with Change.removed / added / rewritten, got {change!r}")
            key = f"{change.kind}_{change.part}"
            action[key] = action.get(key, 0) + int(len(change.rows))
            if len(change.rows):
                recorded.append(replace(change, step=index, lever=lever, company=company))
        return replace(self, companies=companies, actions=[*self.actions, action], changes=[*self.changes, *recorded])

    def counts_by_company(self) -> dict:
        """What the levers did to each company, summed over levers: {company: {removed_train: n, ...}}."""
        out: dict = {}
        for c in self.changes:
            key = f"{c.kind}_{c.part}"
            out.setdefault(c.company, {})
            out[c.company][key] = out[c.company].get(key, 0) + int(len(c.rows))
        return out


def initial_state(data, split: FixedSplit, participants: Participants) -> LeverState:
    """Before any lever: one company, the incumbent, holds all training data."""
    incumbent = CompanyView("incumbent", train=split.train, valid=split.valid)
    return LeverState(data=data, split=split, participants=participants, companies={"incumbent": incumbent})
