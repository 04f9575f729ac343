"""Where a cell's record goes besides the results store: nowhere (local) or Weights & Biases."""
from __future__ import annotations


def log_cell(cfg, record: dict, sweep: str | None = None) -> None:
    name = cfg.logger.name
    if name == "wandb":
        from strikebench.tracking.wandb_logger import log_record

        log_record(cfg, record, sweep=sweep)
