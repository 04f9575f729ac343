"""The results store: one folder per cell, written atomically, never overwritten silently.

Layout: ``<results_dir>/cells/<key>/record.json`` and ``per_user.parquet``. A cell is written
into a temporary folder beside its final place and renamed into place in one step, so a reader
sees a whole record or none. If two jobs finish the same cell, the first rename wins and the
second is discarded: each cell's record exists exactly once. Readers check what they read
(:func:`load_cell`): a damaged cell is set aside under ``<results_dir>/corrupt/`` and counts as
missing (strikebench.results.corrupt).
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where a table is read: `status` and `plan` start without it
    import pandas as pd

from strikebench.results.atomic import new_temporary_dir, publish_directory
from strikebench.results import corrupt

RECORD = "record.json"
PER_USER = "per_user.parquet"


def cells_dir(results_dir) -> Path:
    return Path(results_dir) / "cells"


def cell_dir(results_dir, key: str) -> Path:
    return cells_dir(results_dir) / key


def is_done(results_dir, key: str) -> bool:
    """Whether the cell is stored whole. A damaged cell is set aside (it then counts as missing)."""
    return load_cell(cell_dir(results_dir, key)) is not None


def load_cell(folder) -> dict | None:
    """The record of the cell folder ``<results_dir>/cells/<key>``, checked with its Parquet files
    (strikebench.results.corrupt); None when there is no such cell or it was damaged and set aside."""
    folder = Path(folder)
    if not folder.is_dir():
        return None
    try:
        record = corrupt.check_record(folder / RECORD, folder.name)
        lever_rows = (record.get("lever_rows") or {}).get("file")
        for name in [PER_USER] + ([lever_rows] if isinstance(lever_rows, str) else []):
            corrupt.check_parquet(folder / name)
    except corrupt.CorruptFile as damage:
        corrupt.set_aside(folder.parent.parent, folder, damage)
        return None
    return record


def write_cell(results_dir, key: str, record: dict, per_user: pd.DataFrame, force: bool = False,
               tables: dict[str, pd.DataFrame] | None = None) -> tuple[Path, bool]:
    """Write a cell's record; returns (its folder, whether this call's record is the one stored).

    ``tables`` are further Parquet files ({file name: table}, e.g. the lever rows), written in
    the same atomic step. With ``force`` an existing record is moved to
    ``<results_dir>/previous/<key>-<time>/`` first.
    """
    final = cell_dir(results_dir, key)
    tmp = new_temporary_dir(final)
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
        # First rename wins: if another job stored this cell meanwhile, its record stays.
        return final, publish_directory(tmp, final, complete=lambda path: (path / RECORD).is_file())
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

    path = Path(cell_path) / PER_USER
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - name the damaged file instead of pyarrow's traceback
        raise corrupt.CorruptFile(path, f"not readable Parquet ({type(exc).__name__}: {exc})") from None


def iter_records(results_dir):
    """Every whole stored record. Folders still being written (``.tmp-*``) are skipped; damaged
    cells are set aside with a warning (strikebench.results.corrupt)."""
    base = cells_dir(results_dir)
    if not base.is_dir():
        return
    for child in sorted(base.iterdir()):
        if child.name.startswith(".") or not child.is_dir():
            continue
        record = load_cell(child)
        if record is not None:
            yield record
