"""Records -> the long results table of docs/results-table.md (one row per metric value)."""
from __future__ import annotations

import pandas as pd

from strikebench.results.record import CellRecord
from strikebench.results.study import history_mask

# Lever settings that are plumbing, not part of what the lever does.
_LEVER_PLUMBING = ("name", "company", "levers", "from_company", "to_company")


def lever_label(lever_cfg: dict) -> str:
    """The lever's name with its settings, e.g. ``partial_strike(share=0.25)``, so that cells
    that differ only in a lever setting are not pooled."""
    settings = {k: v for k, v in lever_cfg.items() if k not in _LEVER_PLUMBING and v is not None}
    if not settings:
        return str(lever_cfg["name"])
    return f"{lever_cfg['name']}(" + ",".join(f"{k}={v}" for k, v in sorted(settings.items())) + ")"


def selector_label(record: CellRecord | dict) -> str:
    """``random``, or the selector with the group it chose, e.g. ``attribute:gender=F``."""
    record = CellRecord.of(record)
    name = record.config["strike"]["selector"]["name"]
    group = record.participants.get("group")
    return name if name == "random" or not group else f"{name}:{group}"


def realised_participation(participants: dict) -> float:
    """The share that acted: participants / group size (p = 0.0001 on ML-100K rounds to 1 of 943)."""
    size = int(participants.get("group_size") or 0)
    return int(participants.get("count") or 0) / size if size else 0.0


def record_keys(record: CellRecord | dict) -> dict:
    """The results-table keys of a record, then the cell key and what describes the cell beyond its
    keys: the realised participation and the history mask (part of the study)."""
    record = CellRecord.of(record)
    config = record.config
    strike = config["strike"]
    return {
        "study": record.study["id"],
        "dataset": record.dataset["name"],
        "model": config["model"]["name"],
        "family": config["model"].get("family"),
        "lever": lever_label(strike["lever"]),
        "selector": selector_label(record),
        "participation": float(strike["participation"]),
        "seed": int(config["seed"]),
        "cell_key": record.cell_key,
        "realised_participation": realised_participation(record.participants),
        "mask": history_mask(config),
    }


def records_to_table(records) -> pd.DataFrame:
    """One row per metric value of each record (typed or as stored). A company that trained
    nothing in a cell (e.g. a competitor holding no data) has no rows; an empty group has
    value NaN and n_users 0."""
    rows = []
    for record in map(CellRecord.of, records):
        keys = record_keys(record)
        rows += [{**keys, **row._asdict()} for row in record.metric_rows(applicable_only=True)]
    columns = ["study", "dataset", "model", "family", "lever", "selector", "company", "view", "participation",
               "seed", "group", "metric", "value", "n_users", "cell_key", "realised_participation", "mask"]
    return pd.DataFrame(rows, columns=columns)
