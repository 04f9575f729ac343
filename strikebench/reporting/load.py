"""Read a results directory once: its records, the long results table and the per-user table."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from strikebench.analysis.table import ResultsTableError, validate_results_table
from strikebench.errors import StrikebenchError
from strikebench.results import store
from strikebench.results.per_user_table import per_user_table
from strikebench.results.table import records_to_table


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
        return per_user_table(self.results_dir)

    @property
    def by_key(self) -> dict[str, dict]:
        return {r["cell_key"]: r for r in self.records}


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
