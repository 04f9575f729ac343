"""The leaderboard's manifest: every cell it used, with what a reviewer needs to re-run and check it.

Per cell: its key (the hash of its resolved config), the resolved config itself, seed, software
versions and git commit, whether the model is deterministic, a hash of its participant ids, each
company's status and the published values (``company/view/group/metric`` -> value, and
``.../n_users``). The manifest also holds the SHA-256 of ``leaderboard.csv`` and
``leaderboard.md``, the settings the ranking was computed with, the rules ``verify`` applies (for
the reader: verify applies its own, strikebench.reporting.tolerances), the machine it was built on
and the constraints file of the exact versions CI used (name and sha256), to rebuild the environment.

:func:`read_manifest` checks the shape of a manifest before anything reads it
(:class:`BadManifest`: ``verify`` exits 2 on it).
"""
from __future__ import annotations

import hashlib
import json
import numbers
import platform
import socket
import time
from pathlib import Path

from strikebench.errors import StrikebenchError
from strikebench.results.record import CellRecord
from strikebench.results.table import lever_label, selector_label
from strikebench.results.versions import constraints_reference, software_versions

SCHEMA = 2
FILES = ("csv", "markdown")
# The settings of conf/analysis/default.yaml that decide the ranking.
RANKING_SETTINGS = ("metric", "reference_model", "confidence", "leaderboard")


class BadManifest(StrikebenchError):
    """A manifest that cannot be read, or is not a strikebench leaderboard manifest of this schema."""


def participants_hash(record: CellRecord | dict) -> str:
    users = sorted(str(u) for u in CellRecord.of(record).participants["users"])
    return hashlib.sha256("\n".join(users).encode()).hexdigest()


def file_sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def machine_fingerprint() -> dict:
    """What decides bit-exact float results: CPU, OS, numeric libraries and the GPU if any.

    The host name is hashed (it is identifying, and only equality matters).
    """
    import torch

    return {
        "host": hashlib.sha256(socket.gethostname().encode()).hexdigest()[:16],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": software_versions().get("numpy"),
        "cuda_device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }


def cell_entry(record: CellRecord | dict, deterministic: bool) -> dict:
    record = CellRecord.of(record)
    config = record.config
    versions = record.versions or {}
    return {
        "cell_key": record.cell_key,
        "dataset": record.dataset["name"],
        "model": config["model"]["name"],
        "lever": lever_label(config["strike"]["lever"]),
        "selector": selector_label(record),
        "participation": float(config["strike"]["participation"]),
        "seed": int(config["seed"]),
        "deterministic": deterministic,
        "git_commit": versions.get("git_commit"),
        "versions": versions,
        "participants_sha256": participants_hash(record),
        "companies": {name: company.status for name, company in record.companies.items()},
        "config": config,
        "published": record.flat_metrics(with_n_users=True),
    }


def build_manifest(records: list[dict], deterministic: dict[str, bool], tolerances: dict, settings: dict,
                   files: dict[str, Path]) -> dict:
    """``deterministic``: model name -> whether it is; ``files``: "csv"/"markdown" -> the written file."""
    return {
        "schema": SCHEMA,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "versions": {**software_versions(), "constraints": constraints_reference()},
        "machine": machine_fingerprint(),
        "tolerances": tolerances,
        "settings": {k: settings[k] for k in RANKING_SETTINGS},
        "files": {kind: {"name": Path(path).name, "sha256": file_sha256(path)} for kind, path in files.items()},
        "cells": [cell_entry(r, deterministic[r["config"]["model"]["name"]])
                  for r in sorted(records, key=lambda r: r["cell_key"])],
    }


def write_manifest(manifest: dict, path: Path) -> None:
    path.write_text(json.dumps(manifest, indent=1, default=str) + "\n", encoding="utf-8")


def _number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


# Fields of every cell entry and what they must hold.
_CELL_FIELDS = {
    "cell_key": lambda v: isinstance(v, str), "dataset": lambda v: isinstance(v, str),
    "model": lambda v: isinstance(v, str), "lever": lambda v: isinstance(v, str),
    "selector": lambda v: isinstance(v, str), "participation": _number,
    "seed": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "deterministic": lambda v: isinstance(v, bool), "participants_sha256": lambda v: isinstance(v, str),
    "companies": lambda v: isinstance(v, dict) and all(isinstance(s, str) for s in v.values()),
    "config": lambda v: isinstance(v, dict),
    "published": lambda v: isinstance(v, dict) and all(x is None or _number(x) for x in v.values()),
}


def _shape_problem(manifest) -> str | None:
    if not isinstance(manifest, dict):
        return "not a JSON object"
    if manifest.get("schema") != SCHEMA:
        return (f"schema {manifest.get('schema')!r}, this strikebench reads schema {SCHEMA} "
                "(rebuild the leaderboard with `strikebench leaderboard RESULTS_DIR`)")
    files = manifest.get("files")
    if not (isinstance(files, dict) and set(files) == set(FILES) and all(
            isinstance(f, dict) and isinstance(f.get("sha256"), str) and isinstance(f.get("name"), str)
            and f["name"] and "/" not in f["name"] and "\\" not in f["name"] and f["name"] not in (".", "..")
            for f in files.values())):
        return f"files: must give the name (in the manifest's folder) and sha256 of {' and '.join(FILES)}"
    settings = manifest.get("settings")
    if not (isinstance(settings, dict) and set(RANKING_SETTINGS) <= set(settings)):
        return f"settings: must hold {', '.join(RANKING_SETTINGS)}"
    cells = manifest.get("cells")
    if not isinstance(cells, list) or not cells:
        return "cells: must be a non-empty list"
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict):
            return f"cells[{i}]: not an object"
        for name, ok in _CELL_FIELDS.items():
            if name not in cell or not ok(cell[name]):
                return f"cells[{i}].{name}: missing or of the wrong type"
    return None


def read_manifest(path) -> dict:
    """The manifest at ``path``, its shape checked; BadManifest (one line) otherwise."""
    try:
        manifest = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadManifest(f"cannot read manifest {path}: {exc}") from None
    problem = _shape_problem(manifest)
    if problem:
        raise BadManifest(f"{path} is not a strikebench leaderboard manifest: {problem}")
    return manifest
