"""Assemble one cell's record from what the cell computed: group means, lever rows, the record.

The record counts what each lever removed, added (moved) or rewrote per company; the exact rows
are in ``lever_rows.parquet`` beside record.json (see :func:`lever_rows_table`), so a reviewer can
rebuild every company's train and valid data from the exported split.
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

from strikebench.results.record import CellRecord, CompanyResult, metrics_from_json
from strikebench.results.study import describe_study
from strikebench.results.versions import software_versions
from strikebench.results.vocabulary import GROUPS, VIEWS

LEVER_ROWS = "lever_rows.parquet"
LEVER_ROW_COLUMNS = ["step", "lever", "company", "change", "part", "row", "user", "item", "new_item"]


def group_metrics(per_user: pd.DataFrame, metric_columns: list[str]) -> dict:
    """Means per view and group, as record.json stores them. ``per_user`` has boolean columns
    participant and in_company.

    holdout: every user of the fixed test set; company: those the company holds training data for.
    A group with no users gets ``None`` values and ``n_users`` 0.
    """
    out: dict = {}
    for view in VIEWS:
        in_view = per_user if view == "holdout" else per_user[per_user["in_company"]]
        out[view] = {}
        for group in GROUPS:
            if group == "all":
                rows = in_view
            elif group == "participants":
                rows = in_view[in_view["participant"]]
            else:
                rows = in_view[~in_view["participant"]]
            values = {m: (float(rows[m].mean()) if len(rows) else None) for m in metric_columns}
            values["n_users"] = int(len(rows))
            out[view][group] = values
    return out


def trained_company(view, data, training: dict, per_user: pd.DataFrame, metric_columns: list[str]) -> CompanyResult:
    """The result of a company that trained: its data sizes, ``training`` summary and group means."""
    return CompanyResult(
        train_interactions=int(len(view.train)),
        valid_interactions=int(len(view.valid)),
        users_with_training_data=int(len(np.unique(data.user[view.train]))),
        rewritten_interactions=int(len(view.rewritten_rows)),
        training=training,
        metrics=metrics_from_json(group_metrics(per_user, metric_columns)),
    )


def lever_rows_table(state, data) -> pd.DataFrame:
    """One row per interaction a lever changed: which lever (``step`` is its position), in which
    company, how (removed / added / rewritten), in train or valid, the dataset row, and the
    user and item tokens (``new_item``: the item a poisoned row now points at)."""
    parts = []
    for c in state.changes:
        rows = np.asarray(c.rows, dtype=np.int64)
        parts.append(pd.DataFrame({
            "step": np.full(len(rows), c.step, dtype=np.int64),
            "lever": c.lever, "company": c.company, "change": c.kind, "part": c.part,
            "row": rows,
            "user": data.user_tokens[data.user[rows]].astype(str),
            "item": data.item_tokens[data.item[rows]].astype(str),
            "new_item": (data.item_tokens[c.new_items].astype(str) if c.new_items is not None
                         else np.full(len(rows), None, dtype=object)),
        }))
    if not parts:
        return pd.DataFrame({c: [] for c in LEVER_ROW_COLUMNS})
    return pd.concat(parts, ignore_index=True)[LEVER_ROW_COLUMNS]


def participants_section(participants, data) -> dict:
    """The record's ``participants``: the selected group, its size, p, the count, the share that
    acts (count / group size) and the user tokens."""
    count = int(len(participants.users))
    return {
        "group": participants.group,
        "group_size": participants.group_size,
        "participation": participants.participation,
        "count": count,
        "realised_participation": count / participants.group_size if participants.group_size else 0.0,
        "seed": participants.seed,
        "users": [str(t) for t in data.user_tokens[participants.users]],
    }


def record_header(key: str, config: dict, data, state) -> CellRecord:
    """What the record will say about the cell before any company trains: its keys and
    participants, no metrics yet (a tracker opens the cell's run with it)."""
    return CellRecord(cell_key=key, config=config, dataset={"name": data.name}, study=describe_study(config),
                      participants=participants_section(state.participants, data), companies={})


def build_record(key: str, config: dict, data, state, companies: dict[str, CompanyResult], timings: dict,
                 lever_rows: pd.DataFrame | None = None) -> CellRecord:
    n_rows = 0 if lever_rows is None else int(len(lever_rows))
    return CellRecord(
        cell_key=key,
        created_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        study=describe_study(config),
        config=config,
        dataset={
            "name": data.name,
            "n_users": data.n_users - 1,  # without RecBole's padding id 0
            "n_items": data.n_items - 1,
            "n_interactions": len(data),
            "split": {"train": len(state.split.train), "valid": len(state.split.valid), "test": len(state.split.test)},
            "duplicate_interactions": getattr(data, "duplicates", None),  # found, removed, rm_dup_inter
        },
        participants=participants_section(state.participants, data),
        levers=state.actions,  # per lever, in order: its settings, the company it changed, counts
        changes_by_company=state.counts_by_company(),
        lever_rows={"file": LEVER_ROWS if n_rows else None, "rows": n_rows},
        companies=companies,
        timings={k: round(v, 4) for k, v in timings.items()},
        versions=software_versions(),
    )
