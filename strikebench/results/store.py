"""The results store: one folder per cell, written atomically, never overwritten silently.

Layout: ``<results_dir>/cells/<key>/record.json`` and ``per_user.parquet``. A cell is written
into a temporary folder beside its final place and renamed into place in one step, so a reader
sees a whole record or none. If two jobs finish the same cell, the first rename wins and the
second is discarded: each cell's record exists exactly once.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where a table is read: `status` and `plan` start without it
    import pandas as pd

RECORD = "record.json"
PER_USER = "per_user.parquet"


def cells_dir(results_dir) -> Path:
    return Path(results_dir) / "cells"


def cell_dir(results_dir, key: str) -> Path:
    return cells_dir(results_dir) / key


def is_done(results_dir, key: str) -> bool:
    return (cell_dir(results_dir, key) / RECORD).is_file()


def write_cell(results_dir, key: str, record: dict, per_user: pd.DataFrame, force: bool = False,
               tables: dict[str, pd.DataFrame] | None = None) -> tuple[Path, bool]:
    """Write a cell's record; returns (its folder, whether this call's record is the one stored).

    ``tables`` are further Parquet files ({file name: table}, e.g. the lever rows), written in
    the same atomic step. With ``force`` an existing record is moved to
    ``<results_dir>/previous/<key>-<time>/`` first.
    """
    final = cell_dir(results_dir, key)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{key}-", dir=final.parent))
    try:
        per_user.to_parquet(tmp / PER_USER, index=False)
        for name, table in (tables or {}).items():
            table.to_parquet(tmp / name, index=False)
        with open(tmp / RECORD, "w", encoding="utf-8") as fh:
            json.dump(record, fh, indent=1, sort_keys=False, default=str)
            fh.flush()
            os.fsync(fh.fileno())
        if force and final.exists():
            previous = Path(results_dir) / "previous" / f"{key}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
            previous.parent.mkdir(parents=True, exist_ok=True)
            os.rename(final, previous)
        try:
            os.rename(tmp, final)  # atomic; fails if another job already stored this cell
        except OSError:
            if (final / RECORD).is_file():
                return final, False
            raise
        return final, True
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def read_record(path) -> dict:
    path = Path(path)
    if path.is_dir():
        path = path / RECORD
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def read_per_user(cell_path) -> pd.DataFrame:
    import pandas as pd

    return pd.read_parquet(Path(cell_path) / PER_USER)


def iter_records(results_dir):
    """Every stored record (skipping folders that are still being written)."""
    base = cells_dir(results_dir)
    if not base.is_dir():
        return
    for child in sorted(base.iterdir()):
        if child.name.startswith(".") or not (child / RECORD).is_file():
            continue
        yield read_record(child)
