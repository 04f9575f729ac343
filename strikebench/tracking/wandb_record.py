"""What a cell's W&B run holds, from its record: id, config, summary (no wandb import here).

- **id**: ``cell-<cell key>``, so a rerun or a resumed cell continues the same run, and
  ``strikebench wandb-sync`` finds what was logged;
- **config**: flat, top-level keys a W&B user filters and groups by (``dataset``, ``model``,
  ``family``, ``lever``, ``selector``, ``participation`` and the realised share
  ``participation_realised`` = participants / group size, ``seed``, ``study``, the history
  ``mask``); no local paths (the whole resolved config goes into the record artifact);
- **summary**: every company / view / group / metric value of the record.
"""
from __future__ import annotations

import hashlib
import re

from strikebench.results.record import CellRecord
from strikebench.results.study import describe_study
from strikebench.results.table import realised_participation, record_keys

RUN_ID_PREFIX = "cell-"


def run_id(cell_key: str) -> str:
    return f"{RUN_ID_PREFIX}{cell_key}"


def sweep_run_id(sweep: str) -> str:
    """A W&B-valid id for a sweep's summary run: letters, digits, ``-`` and ``_``, 64 at most."""
    clean = re.sub(r"[^A-Za-z0-9_-]+", "-", sweep).strip("-") or "sweep"
    if len(clean) > 48:
        clean = f"{clean[:39]}-{hashlib.sha256(sweep.encode()).hexdigest()[:8]}"
    return f"sweep-{clean}"


def study_of(record: CellRecord) -> str:
    """The id of the record's study (``<dataset>-<8 hex>``: dataset, split and evaluation
    protocol; strikebench.results.study), described from its config if the record has none."""
    return str((record.study or describe_study(record.config))["id"])


def run_config(record: CellRecord) -> dict:
    """The run's config: the record's keys as flat top-level values."""
    keys = record_keys(record)
    return {"dataset": keys["dataset"], "model": keys["model"], "family": keys["family"], "lever": keys["lever"],
            "selector": keys["selector"], "participation": keys["participation"],
            "participation_realised": keys["realised_participation"], "participants": record.participants["count"],
            "seed": keys["seed"], "study": keys["study"], "mask": keys["mask"], "cell_key": record.cell_key}


def run_summary(record: CellRecord) -> dict:
    """The run's summary: ``incumbent/holdout/all/ndcg@10`` -> value and ``.../n_users`` -> count
    for every company, view and group (None where a group has no users), and the cell's totals."""
    summary = {**record.flat_metrics(with_n_users=True), "participants/count": record.participants["count"],
               "participants/realised": realised_participation(record.participants)}
    if "total" in record.timings:
        summary["timings/total_s"] = record.timings["total"]
    return summary


def tags(record: CellRecord) -> list[str]:
    return [str(record.config["model"].get("family") or "unknown"), str(record.config["model"]["name"])]
