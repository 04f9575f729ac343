"""Failed cells: ``<results_dir>/failed/<key>.json`` with the error's last lines, cleared on success."""
from __future__ import annotations

import json
import time
import traceback
from pathlib import Path

from strikebench.results.atomic import atomic_file


def failures_dir(results_dir) -> Path:
    return Path(results_dir) / "failed"


def record_failure(results_dir, key: str, cell: str, exc: BaseException) -> Path:
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    entry = {"cell_key": key, "cell": cell, "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
             "error": f"{type(exc).__name__}: {exc}", "last_lines": "".join(lines).splitlines()[-12:]}
    final = failures_dir(results_dir) / f"{key}.json"
    with atomic_file(final) as fh:  # a later failure of the same cell replaces this note
        json.dump(entry, fh, indent=1)
    return final


def clear_failure(results_dir, key: str) -> None:
    (failures_dir(results_dir) / f"{key}.json").unlink(missing_ok=True)


def read_failures(results_dir) -> dict[str, dict]:
    folder = failures_dir(results_dir)
    if not folder.is_dir():
        return {}
    return {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}
