"""Damaged result files: found by the readers, set aside under ``<results_dir>/corrupt/``, never fatal.

A file is damaged when it cannot be read back as what it claims to be: a ``record.json`` that is
not JSON, not a cell record of its folder's key or holds a field of the wrong type; a Parquet file
without its footer; a failure record that is not JSON. A reader that meets one moves the cell
folder (or the failure record) to ``corrupt/<name>-<time>-<pid>/`` with ``REASON.txt`` beside it,
warns with one line naming the file, and goes on with the rest. The cell then counts as missing,
so a relaunch runs it again; ``strikebench status`` lists what was set aside.
"""
from __future__ import annotations

import json
import numbers
import os
import sys
import time
from pathlib import Path

from strikebench.errors import StrikebenchError

CORRUPT = "corrupt"
REASON = "REASON.txt"


class CorruptFile(StrikebenchError):
    """A result file that cannot be read back; the message names the file."""

    def __init__(self, path, problem: str):
        self.path, self.problem = Path(path), problem
        super().__init__(f"{path}: {problem}")


def corrupt_dir(results_dir) -> Path:
    return Path(results_dir) / CORRUPT


def read_json(path) -> object:
    """The content of a JSON file, or CorruptFile naming it (missing, cut short, not UTF-8)."""
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise CorruptFile(path, "missing") from None
    except (ValueError, OSError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise CorruptFile(path, f"not readable JSON ({type(exc).__name__}: {exc})") from None


def check_parquet(path) -> None:
    """CorruptFile unless ``path`` is a Parquet file whose footer reads (a cut file has none)."""
    import pyarrow.parquet as pq

    try:
        pq.read_metadata(path)
    except FileNotFoundError:
        raise CorruptFile(path, "missing") from None
    except Exception as exc:  # noqa: BLE001 - pyarrow raises ArrowInvalid, OSError ... for damage
        raise CorruptFile(path, f"not readable Parquet ({type(exc).__name__}: {exc})") from None


def _number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _has_type(value, kind) -> bool:
    return _number(value) if kind is _number else isinstance(value, kind) and not isinstance(value, bool)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _at(record: dict, *path):
    for name in path:
        if not isinstance(record, dict) or name not in record:
            return KeyError
        record = record[name]
    return record


# The fields every reader uses (results table, plan, summary, leaderboard), with their type.
_FIELDS = [
    (("cell_key",), str), (("config", "model", "name"), str), (("config", "seed"), int),
    (("config", "strike", "participation"), _number), (("config", "strike", "lever", "name"), str),
    (("config", "strike", "selector", "name"), str), (("dataset", "name"), str),
    (("participants", "users"), list), (("timings", "total"), _number), (("companies",), dict),
]


def record_problem(record, key: str) -> str | None:
    """Why ``record`` is not a whole cell record of the cell ``key``, or None."""
    from strikebench.results.record import CellRecord

    if not isinstance(record, dict):
        return f"not a JSON object but {type(record).__name__}"
    for path, kind in _FIELDS:
        value = _at(record, *path)
        name = ".".join(path)
        if value is KeyError:
            return f"no field {name}"
        if not _has_type(value, kind):
            return f"field {name} is {_short(value)}, not a {'number' if kind is _number else kind.__name__}"
    if record["cell_key"] != key:
        return f"cell_key {record['cell_key']!r} is not its folder's {key!r}"
    if not record["companies"]:
        return "no company in companies"
    try:
        typed = CellRecord.from_json(record)
        rows = list(typed.metric_rows())
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return f"not a cell record ({type(exc).__name__}: {exc})"
    for row in rows:
        if not (row.value is None or _number(row.value)) or not isinstance(row.n_users, int):
            return f"metric {row.name} is {_short(row.value)} over {_short(row.n_users)} users, not a number"
    return None


def check_record(path, key: str) -> dict:
    """The record stored at ``path`` for the cell ``key``, or CorruptFile naming the file."""
    record = read_json(path)
    problem = record_problem(record, key)
    if problem:
        raise CorruptFile(path, problem)
    return record


def set_aside(results_dir, item, damage: CorruptFile) -> Path | None:
    """Move ``item`` (a cell folder or a failure record) under ``corrupt/`` and warn with one line.

    Returns where it went, or None when another reader moved it first.
    """
    item = Path(item)
    name = item.name if item.is_dir() else f"{item.parent.name}-{item.stem}"
    target = corrupt_dir(results_dir) / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if item.is_dir():
            os.rename(item, target)
        else:
            target.mkdir()
            os.rename(item, target / item.name)
        (target / REASON).write_text(f"{damage}\n", encoding="utf-8")
    except FileNotFoundError:  # another reader moved it first
        if target.is_dir() and not any(target.iterdir()):
            target.rmdir()
        return None
    except OSError as exc:  # e.g. someone else's read-only results: read on without it
        print(f"strikebench: warning: {damage}; skipped (cannot set it aside: {exc})", file=sys.stderr)
        return None
    print(f"strikebench: warning: {damage}; set aside in {target} (the cell counts as missing)", file=sys.stderr)
    return target


def set_aside_entries(results_dir) -> list[tuple[str, str]]:
    """(folder name under corrupt/, the reason it was set aside) for ``strikebench status``."""
    folder = corrupt_dir(results_dir)
    if not folder.is_dir():
        return []
    out = []
    for entry in sorted(p for p in folder.iterdir() if p.is_dir()):
        reason = entry / REASON
        out.append((entry.name, reason.read_text(encoding="utf-8").strip() if reason.is_file() else "?"))
    return out
