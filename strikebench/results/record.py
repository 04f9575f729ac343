"""Assemble one cell's record: config, participants, what the levers did, metrics, timings."""
from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd

from strikebench.results.versions import software_versions

SCHEMA_VERSION = 1
GROUPS = ("all", "participants", "non_participants")
VIEWS = ("holdout", "company")


def group_metrics(per_user: pd.DataFrame, metric_columns: list[str]) -> dict:
    """Means per view and group. ``per_user`` has boolean columns participant and in_company.

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


def clean_float(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def build_record(key: str, config: dict, data, state, companies: dict, timings: dict) -> dict:
    participants = state.participants
    return {
        "schema_version": SCHEMA_VERSION,
        "cell_key": key,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "config": config,
        "dataset": {
            "name": data.name,
            "n_users": data.n_users - 1,  # without RecBole's padding id 0
            "n_items": data.n_items - 1,
            "n_interactions": len(data),
            "split": {"train": len(state.split.train), "valid": len(state.split.valid), "test": len(state.split.test)},
        },
        "participants": {
            "group": participants.group,
            "group_size": participants.group_size,
            "participation": participants.participation,
            "count": int(len(participants.users)),
            "seed": participants.seed,
            "users": [str(t) for t in data.user_tokens[participants.users]],
        },
        "levers": state.actions,
        "companies": companies,
        "timings": {k: round(v, 4) for k, v in timings.items()},
        "versions": software_versions(),
    }


def participants_tokens(record: dict) -> np.ndarray:
    return np.asarray(record["participants"]["users"], dtype=str)
