"""``trainer.stack``: how many cells of a sweep train together (1: each alone, the default)."""
from __future__ import annotations

import hashlib
import json

from strikebench.errors import ConfigError
from strikebench.results.keys import identity

FIELD = "trainer.stack"


def stack_size(trainer_cfg) -> int:
    """The checked ``trainer.stack`` of a trainer config (1 when absent)."""
    check(trainer_cfg)
    return int(trainer_cfg.get("stack", 1))


def check(trainer_cfg) -> None:
    """Raise ConfigError unless ``trainer.stack`` is a positive integer, and stacking can run
    with the trainer's other settings (one process on one device: not with trainer=ddp)."""
    value = trainer_cfg.get("stack", 1)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(FIELD, f"must be a positive integer, got {value!r}", "1 (each cell alone), 2, 3, ...")
    if value > 1 and str(trainer_cfg.get("strategy", "auto")) == "ddp":
        raise ConfigError(FIELD, f"{value} cells train together in one process on one device, which "
                                 "trainer.strategy=ddp spreads over several", "1 with trainer=ddp")


def group_key(config: dict) -> str:
    """Cells (resolved configs, plain dicts) with equal group keys may train in one stacked group:
    they differ only in what each stacked cell keeps for itself (``seed``; ``strike``: who takes
    part and what the levers do) and in what does not change a cell's result (cell_key's rules)."""
    shared = {k: v for k, v in identity(config).items() if k not in ("seed", "strike")}
    canonical = json.dumps(shared, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def stack_of(config: dict) -> int:
    """How many cells of ``config`` (a resolved config, plain dict) train together: ``trainer.stack``
    where the model stacks and its batches are the fast path's, 1 (one at a time) otherwise."""
    from strikebench.training.stacked.models import unsupported_reason

    size = int(config["trainer"].get("stack", 1))
    if size > 1 and (unsupported_reason(config["model"]["name"]) or config["trainer"].get("data_path") != "fast"):
        return 1
    return size
