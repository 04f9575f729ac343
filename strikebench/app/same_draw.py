"""Cells whose participation levels draw the same participants are trained once.

Participant draws are nested (docs/design.md): a cell takes the first round(p·N) users of one
permutation per seed. On ML-100K (943 users) p = 0.0001, 0.0005 and 0.001 all round to the same
single participant, so those cells hold the same company data and would train and evaluate
alike. The first of them trains; each other one stores a copy of its record under its own config
and key, with ``same_draw_as`` naming the cell that trained (``status`` and the reports count it
as a cell of its own, at its realised participation).

The draw key covers everything that decides a result except the nominal participation: the
cell's identity without ``strike.participation``, the participants, and each company's rows.
"""
from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np

from strikebench.results import store
from strikebench.results.atomic import atomic_file
from strikebench.results.keys import identity

SAME_DRAW = "same_draw"  # <results_dir>/same_draw/<draw key>.json: the cell that trained that draw


def draw_key(config: dict, state) -> str:
    """The key two cells share when only their nominal participation differs and it draws alike."""
    cell = identity(config)
    cell["strike"] = {k: v for k, v in cell["strike"].items() if k != "participation"}
    digest = hashlib.sha256(json.dumps(cell, sort_keys=True, default=str).encode())
    digest.update(np.ascontiguousarray(state.participants.users, dtype=np.int64).tobytes())
    for name, view in sorted(state.companies.items()):
        digest.update(name.encode())
        for rows in (view.train, view.valid, view.rewritten_rows, view.new_items):
            digest.update(b"|" + np.ascontiguousarray(rows, dtype=np.int64).tobytes())
    return digest.hexdigest()[:16]


def _entry(results_dir, draw: str) -> Path:
    return Path(results_dir) / SAME_DRAW / f"{draw}.json"


def remember(results_dir, draw: str, key: str) -> None:
    """The cell ``key`` trained the draw ``draw`` (the first cell to store it stays)."""
    entry = _entry(results_dir, draw)
    if entry.is_file():
        return
    entry.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(entry) as fh:
        json.dump({"cell_key": key}, fh)


def copy_of_twin(results_dir, draw: str, key: str, config: dict) -> tuple[dict, "object", dict] | None:
    """(record, per-user table, further tables) for the cell ``key``, copied from the stored cell
    that trained the same draw; None when no such cell is stored."""
    entry = _entry(results_dir, draw)
    if not entry.is_file():
        return None
    twin = json.loads(entry.read_text())["cell_key"]
    folder = store.cell_dir(results_dir, twin)
    record = store.load_cell(folder)
    if record is None or twin == key:
        return None
    import pandas as pd

    tables = {}
    lever_rows = (record.get("lever_rows") or {}).get("file")
    if isinstance(lever_rows, str):
        tables[lever_rows] = pd.read_parquet(folder / lever_rows)
    participants = {**record["participants"], "participation": config["strike"]["participation"]}
    copied = {**record, "cell_key": key, "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "config": config,
              "participants": participants, "same_draw_as": twin}
    return copied, store.read_per_user(folder), tables
