"""The leaderboard's manifest: every cell it used, with what a reviewer needs to re-run and check it.

Per cell: its key (the hash of its resolved config), the resolved config itself, seed, software
versions and git commit, whether the model is deterministic, a hash of its participant ids and
the published metric values (``company/view/group/metric`` -> value). The manifest also names
the machine it was built on, so ``verify`` knows when exact equality is the bar, and the
constraints file of the exact versions CI used (name and sha256), to rebuild the environment.
"""
from __future__ import annotations

import hashlib
import json
import platform
import socket
import time
from pathlib import Path

from strikebench import compat
from strikebench.results.record import CellRecord
from strikebench.results.table import lever_label, selector_label
from strikebench.results.versions import constraints_reference, software_versions

SCHEMA = 1


def participants_hash(record: CellRecord | dict) -> str:
    users = sorted(str(u) for u in CellRecord.of(record).participants["users"])
    return hashlib.sha256("\n".join(users).encode()).hexdigest()


def machine_fingerprint() -> dict:
    """What decides bit-exact float results: CPU, OS, numeric libraries and the GPU if any.

    The host name is hashed (it is identifying, and only equality matters).
    """
    import torch

    fingerprint = {
        "host": hashlib.sha256(socket.gethostname().encode()).hexdigest()[:16],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": software_versions().get("numpy"),
        "cuda_device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }
    return fingerprint


def is_deterministic(model_name: str) -> bool:
    """True for models with no trainable step (RecBole's TRADITIONAL type: Pop, ItemKNN, EASE ...)."""
    return compat.model_type(model_name) == "TRADITIONAL"


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
        "machine": record.extra.get("machine"),  # present once records carry it; else the manifest's
        "participants_sha256": participants_hash(record),
        "config": config,
        "published": record.flat_metrics(),
    }


def build_manifest(records: list[dict], tolerances: dict, leaderboard_files: dict[str, str]) -> dict:
    models = {r["config"]["model"]["name"] for r in records}
    deterministic = {m: is_deterministic(m) for m in models}
    return {
        "schema": SCHEMA,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "versions": {**software_versions(), "constraints": constraints_reference()},
        "machine": machine_fingerprint(),
        "tolerances": tolerances,
        "files": leaderboard_files,
        "cells": [cell_entry(r, deterministic[r["config"]["model"]["name"]])
                  for r in sorted(records, key=lambda r: r["cell_key"])],
    }


def write_manifest(manifest: dict, path: Path) -> None:
    path.write_text(json.dumps(manifest, indent=1, default=str) + "\n", encoding="utf-8")


def read_manifest(path) -> dict:
    from strikebench.errors import StrikebenchError

    try:
        manifest = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StrikebenchError(f"cannot read manifest {path}: {exc}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("cells"), list):
        raise StrikebenchError(f"{path}: not a strikebench leaderboard manifest (no 'cells' list)")
    return manifest
