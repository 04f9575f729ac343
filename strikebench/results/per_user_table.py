"""The results store -> the per-user long table of docs/results-table.md.

One row per study x dataset x model x lever x selector x company x view x participation x seed x user,
with ``participant`` (bool) and one column per metric. The two views come from each cell's
``per_user.parquet``: ``holdout`` is every user of the fixed test set, ``company`` the users the
company holds training data for (``in_company``). Paired tests and strike-versus-boycott
accounting (``strikebench.analysis``) run on this table.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from strikebench.results import store
from strikebench.results.table import record_keys
from strikebench.results.vocabulary import VIEWS

#: per_user.parquet columns that are bookkeeping, not metrics
NOT_METRICS = ("company", "user", "n_pos", "fallback", "participant", "in_company", "n_liked")
KEY_COLUMNS = ["study", "dataset", "model", "family", "lever", "selector", "company", "view", "participation",
               "seed", "user", "participant"]


def metric_columns(per_user: pd.DataFrame) -> list[str]:
    return [c for c in per_user.columns if c not in NOT_METRICS and "@" in str(c)]


def cell_per_user(record: dict, per_user: pd.DataFrame, views=VIEWS) -> pd.DataFrame:
    """One cell's per-user rows in the long layout (both views stacked)."""
    keys = record_keys(record)  # lever and selector labels as in the long table
    metrics = metric_columns(per_user)
    parts = []
    for view in views:
        rows = per_user if view == "holdout" else per_user[per_user["in_company"].astype(bool)]
        part = rows[["company", "user", "participant"] + metrics].copy()
        part["view"] = view
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    for name in ("study", "dataset", "model", "family", "lever", "selector", "participation", "seed", "cell_key"):
        out[name] = keys[name]
    out["user"] = out["user"].astype(str)
    out["participant"] = out["participant"].astype(bool)
    front = KEY_COLUMNS + ["cell_key"]
    return out[front + metrics]


def per_user_table(results_dir, views=VIEWS) -> pd.DataFrame:
    """Every stored cell of ``results_dir`` as one per-user long table.

    Companies that were not trained in a cell (status ``not_applicable``) have no rows. Metric
    columns missing from some cells (e.g. sampled metrics switched on later) are NaN there.
    """
    frames = []
    for record in store.iter_records(results_dir):
        path = store.cell_dir(results_dir, record["cell_key"])
        if not (Path(path) / store.PER_USER).is_file():
            continue
        frames.append(cell_per_user(record, store.read_per_user(path), views))
    if not frames:
        return pd.DataFrame(columns=KEY_COLUMNS + ["cell_key"])
    return pd.concat(frames, ignore_index=True, sort=False)
