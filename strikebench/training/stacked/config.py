"""``trainer.stack``: how many cells of a sweep train together (1: each alone, the default)."""
from __future__ import annotations

from strikebench.errors import ConfigError

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
