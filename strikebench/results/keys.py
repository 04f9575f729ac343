"""A cell's stable key: a hash of its resolved config, without what does not change results."""
from __future__ import annotations

import hashlib
import json

# Output paths, device, logging, launching and resume/force/lock do not change what a cell measures.
EXCLUDED_TOP = ("results_dir", "data_root", "data_cache", "work_dir", "logger", "resume", "force", "lock", "hydra")
# Trainer options added later, at the value that reproduces what came before them.
TRAINER_DEFAULTS_BEFORE_OPTIONS = {("data_path", "recbole"), ("strategy", "auto"), ("precision", None)}
# Top-level sections added later that leave the key as it was while empty (no extra callbacks).
OPTIONAL_TOP = ("callbacks",)
OPTIONAL_EVAL = ("sampled_negatives", "rating_metrics")
# stack: a stacked cell trains the same model on the same data as alone (tests/training/test_stacked.py).
EXCLUDED_TRAINER = ("accelerator", "devices", "progress_bar", "keep_checkpoints", "eval_batch_size", "stack")


def identity(config: dict) -> dict:
    """The part of a resolved config (plain dict) that decides a cell's result."""
    out = {k: v for k, v in config.items() if k not in EXCLUDED_TOP and not (k in OPTIONAL_TOP and not v)}
    if isinstance(out.get("trainer"), dict):
        out["trainer"] = {k: v for k, v in out["trainer"].items()
                          if k not in EXCLUDED_TRAINER and (k, v) not in TRAINER_DEFAULTS_BEFORE_OPTIONS}
    if isinstance(out.get("eval"), dict):
        # Options that are off leave the key as it was before they existed.
        out["eval"] = {k: v for k, v in out["eval"].items()
                       if k != "batch_size" and not (k in OPTIONAL_EVAL and not v)}
    return out


def cell_key(config: dict) -> str:
    canonical = json.dumps(identity(config), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
