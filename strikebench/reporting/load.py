"""Read a results directory once: its records, the long results table and the per-user table,
and split them into studies (a study's rows are only ever compared with each other)."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from strikebench.analysis import split_studies, with_group_baselines
from strikebench.analysis.table import STUDY, ResultsTableError, validate_results_table
from strikebench.errors import StrikebenchError
from strikebench.results import store
from strikebench.results.per_user_table import per_user_table
from strikebench.results.table import records_to_table

#: The results table's realised share of the group that acted (count / group size), when records carry it.
REALISED = "realised_participation"


@dataclass
class Study:
    """One study's rows: its long table, its per-user table and its records."""

    name: str
    table: pd.DataFrame
    per_user: pd.DataFrame = field(repr=False)
    records: list[dict] = field(repr=False)

    def with_baselines(self, metric: str) -> pd.DataFrame:
        """The rows of ``metric`` with the same-user baselines ``p0:<model>``
        (``analysis.with_group_baselines``): every group is compared with the same users at p = 0."""
        rows = self.table[self.table["metric"] == metric]
        if self.per_user.empty or metric not in self.per_user.columns:
            return rows  # without per-user tables only group "all" has a baseline (analysis.baselines)
        return with_group_baselines(rows, self.per_user)


@dataclass
class Results:
    results_dir: Path
    records: list[dict] = field(repr=False)

    @cached_property
    def table(self) -> pd.DataFrame:
        """The validated long table; ``selector`` names the group (``attribute:gender=F``)."""
        raw = records_to_table(self.records)
        try:
            return validate_results_table(raw)
        except ResultsTableError as exc:
            if "duplicate" not in str(exc):
                raise
            raise StrikebenchError(
                f"{exc}. These cells differ only in settings the results table has no column for "
                "(trainer, split, eval, model hyperparameters ...): report each setting from its own "
                "results_dir.") from None

    @cached_property
    def per_user(self) -> pd.DataFrame:
        """The per-user table, each row with its cell's study (from the long table, by cell key)."""
        per_user = per_user_table(self.results_dir)
        studies = self.table.drop_duplicates("cell_key").set_index("cell_key")[STUDY]
        return per_user.assign(**{STUDY: per_user["cell_key"].map(studies).fillna(studies.iloc[0])})

    @property
    def by_key(self) -> dict[str, dict]:
        return {r["cell_key"]: r for r in self.records}

    def studies(self) -> list[Study]:
        """Each study of the results, in sorted order."""
        out = []
        for name, table in split_studies(self.table):
            keys = set(table["cell_key"])
            per_user = self.per_user[self.per_user[STUDY] == name]
            out.append(Study(name, table, per_user, [r for r in self.records if r["cell_key"] in keys]))
        return out


def load_results(results_dir) -> Results:
    results_dir = Path(results_dir)
    records = list(store.iter_records(results_dir))
    if not records:
        raise StrikebenchError(f"no records in {results_dir} (expected {results_dir}/cells/<key>/record.json)")
    return Results(results_dir, records)


def metric_of(table: pd.DataFrame, metric: str) -> str:
    """``metric`` if the table has it, else a clear error listing the metrics it has."""
    metric = metric.lower()
    have = sorted(table["metric"].unique())
    if metric not in have:
        raise StrikebenchError(f"--metric: {metric!r} is not in these results (have: {', '.join(have)})")
    return metric
