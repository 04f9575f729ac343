"""One cell's record, typed: config, participants, what the levers did, metrics per company, timings.

``record.json`` holds :meth:`CellRecord.to_json`; :meth:`CellRecord.from_json` reads it back,
including records written before a field existed. Every reader that lists the metrics (the
results table, the leaderboard manifest, W&B, the command line) walks them through
:meth:`CellRecord.metric_rows`, so they agree on what an empty group is: value None, n_users 0.

:mod:`strikebench.results.assemble` builds a record from what a cell computed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, NamedTuple

from strikebench.results.study import study_of_old_record
from strikebench.results.vocabulary import GROUPS, VIEWS

SCHEMA_VERSION = 1
N_USERS = "n_users"  # stored beside the metric values of each group


@dataclass(frozen=True)
class GroupMetrics:
    """The means of one group of users in one view: metric -> value, over ``n_users`` users."""

    n_users: int
    values: dict[str, float | None]

    def __post_init__(self):
        if self.n_users == 0 and any(v is not None for v in self.values.values()):
            raise ValueError(f"a group with no users has no metric values (None), got {self.values}")

    @classmethod
    def from_json(cls, entry: dict) -> "GroupMetrics":
        return cls(int(entry[N_USERS]), {m: v for m, v in entry.items() if m != N_USERS})

    def to_json(self) -> dict:
        return {**self.values, N_USERS: self.n_users}


def metrics_from_json(section: dict) -> dict[str, dict[str, GroupMetrics]]:
    """A company's ``metrics`` section (view -> group -> {metric: value, n_users}) typed."""
    return {view: {group: GroupMetrics.from_json(entry) for group, entry in groups.items()}
            for view, groups in section.items()}


@dataclass
class CompanyResult:
    """What one company trained on and how its model scored (view -> group -> metrics)."""

    train_interactions: int
    valid_interactions: int
    users_with_training_data: int
    training: dict | None  # epochs, best epoch, monitor ...; None when nothing was trained
    metrics: dict[str, dict[str, GroupMetrics]]
    status: str = "ok"  # or "not_applicable": the company holds no training data in this cell
    reason: str | None = None
    rewritten_interactions: int | None = None  # absent from records made before poisoning existed

    @property
    def applicable(self) -> bool:
        return self.status == "ok"

    @classmethod
    def not_applicable(cls, view, metric_columns: list[str]) -> "CompanyResult":
        """A company that holds no training data in this cell (e.g. a competitor with no base data
        at p = 0): nothing is trained, and its metrics are null, not zero."""
        empty = {group: GroupMetrics(0, {m: None for m in metric_columns}) for group in GROUPS}
        return cls(train_interactions=0, valid_interactions=int(len(view.valid)), users_with_training_data=0,
                   training=None, metrics={v: dict(empty) for v in VIEWS}, status="not_applicable",
                   reason="the company holds no training data in this cell",
                   rewritten_interactions=int(len(view.rewritten_rows)))

    @classmethod
    def from_json(cls, entry: dict) -> "CompanyResult":
        return cls(train_interactions=entry["train_interactions"], valid_interactions=entry["valid_interactions"],
                   users_with_training_data=entry["users_with_training_data"], training=entry["training"],
                   metrics=metrics_from_json(entry["metrics"]), status=entry.get("status", "ok"),
                   reason=entry.get("reason"), rewritten_interactions=entry.get("rewritten_interactions"))

    def to_json(self) -> dict:
        out = {"status": self.status}
        if self.reason is not None:
            out["reason"] = self.reason
        out.update(train_interactions=self.train_interactions, valid_interactions=self.valid_interactions,
                   users_with_training_data=self.users_with_training_data)
        if self.rewritten_interactions is not None:
            out["rewritten_interactions"] = self.rewritten_interactions
        out["training"] = self.training
        out["metrics"] = {view: {group: m.to_json() for group, m in groups.items()}
                          for view, groups in self.metrics.items()}
        return out


class MetricRow(NamedTuple):
    """One metric value of a record: who (company), on which users (view, group), and how many."""

    company: str
    view: str
    group: str
    metric: str
    value: float | None  # None when the group has no users or the company trained nothing
    n_users: int

    @property
    def name(self) -> str:
        """``incumbent/holdout/all/ndcg@10``: the name W&B and the leaderboard manifest use."""
        return f"{self.company}/{self.view}/{self.group}/{self.metric}"


# Top-level fields in the order record.json writes them; any other key is kept in ``extra``.
_FIELDS = ("schema_version", "cell_key", "created_at", "study", "config", "dataset", "participants", "levers",
           "changes_by_company", "lever_rows", "companies", "timings", "versions")


@dataclass
class CellRecord:
    cell_key: str
    config: dict  # the resolved config the cell ran with
    dataset: dict  # name, sizes and split sizes
    participants: dict  # group, participation, seed, count and the user tokens
    companies: dict[str, CompanyResult]
    study: dict | None = None  # id, dataset (name, checksum, filtering), split, evaluation
    levers: list = field(default_factory=list)  # per lever, in order: its settings, company, counts
    timings: dict = field(default_factory=dict)  # seconds per stage, and "total"
    versions: dict = field(default_factory=dict)
    created_at: str | None = None
    changes_by_company: dict | None = None  # e.g. {"incumbent": {"removed_train": n, ...}}
    lever_rows: dict | None = None  # {"file": "lever_rows.parquet" or None, "rows": n}
    schema_version: int = SCHEMA_VERSION
    extra: dict = field(default_factory=dict)  # keys this version does not know, kept as they are

    @classmethod
    def from_json(cls, record: dict) -> "CellRecord":
        known = {k: record[k] for k in _FIELDS if k in record}
        known["companies"] = {name: CompanyResult.from_json(c) for name, c in record["companies"].items()}
        if "study" not in known:  # a record from before studies: described from its config, with a note
            known["study"] = study_of_old_record(record["config"])
        return cls(**known, extra={k: v for k, v in record.items() if k not in _FIELDS})

    @classmethod
    def of(cls, record: "CellRecord | dict") -> "CellRecord":
        """The typed record, from a record.json's content or a record that is already typed."""
        return record if isinstance(record, cls) else cls.from_json(record)

    def to_json(self) -> dict:
        out = {}
        for name in _FIELDS:
            value = getattr(self, name)
            if name == "companies":
                value = {company: result.to_json() for company, result in value.items()}
            if value is not None:
                out[name] = value
        return {**out, **self.extra}

    def metric_rows(self, applicable_only: bool = False) -> Iterator[MetricRow]:
        """Every metric value of every company, view and group (the one walk over the metrics).

        ``applicable_only``: leave out companies that trained nothing in this cell.
        """
        for company, result in self.companies.items():
            if applicable_only and not result.applicable:
                continue
            for view, groups in result.metrics.items():
                for group, measured in groups.items():
                    for metric, value in measured.values.items():
                        yield MetricRow(company, view, group, metric, value, measured.n_users)

    def flat_metrics(self, with_n_users: bool = False) -> dict[str, float | int | None]:
        """``incumbent/holdout/all/ndcg@10`` -> value, and ``.../n_users`` -> count if asked."""
        out = {}
        for row in self.metric_rows():
            out[row.name] = row.value
            if with_n_users:
                out[row._replace(metric=N_USERS).name] = row.n_users
        return out
