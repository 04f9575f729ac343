"""Failed cells: ``<results_dir>/failed/<key>.json`` with the error's last lines, cleared on success."""
from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

from strikebench.results.atomic import atomic_file
from strikebench.results import corrupt


def failures_dir(results_dir) -> Path:
    return Path(results_dir) / "failed"


def record_failure(results_dir, key: str, cell: str, exc: BaseException) -> Path | None:
    """Note the failure for ``strikebench status``; None (and a one-line warning) when the note
    cannot be written either (a read-only or full disk): the error itself is reported anyway."""
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    entry = {"cell_key": key, "cell": cell, "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
             "error": f"{type(exc).__name__}: {exc}", "last_lines": "".join(lines).splitlines()[-12:]}
    final = failures_dir(results_dir) / f"{key}.json"
    try:
        with atomic_file(final) as fh:  # a later failure of the same cell replaces this note
            json.dump(entry, fh, indent=1)
    except OSError as error:
        print(f"strikebench: warning: cannot write the failure note {final}: {error.strerror or error}",
              file=sys.stderr)
        return None
    return final


def clear_failure(results_dir, key: str) -> None:
    (failures_dir(results_dir) / f"{key}.json").unlink(missing_ok=True)


def read_failures(results_dir) -> dict[str, dict]:
    """key -> failure record; a damaged one is set aside under corrupt/ with a warning."""
    folder = failures_dir(results_dir)
    if not folder.is_dir():
        return {}
    out = {}
    for path in sorted(folder.glob("*.json")):
        try:
            entry = corrupt.read_json(path)
            if not (isinstance(entry, dict) and all(isinstance(entry.get(k), str) for k in ("cell", "error"))
                    and isinstance(entry.get("last_lines"), list)):
                raise corrupt.CorruptFile(path, "not a failure record (cell, error, last_lines)")
        except corrupt.CorruptFile as damage:
            corrupt.set_aside(results_dir, path, damage)
            continue
        out[path.stem] = entry
    return out
