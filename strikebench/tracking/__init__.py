"""Where a cell's record goes besides the results store: nowhere (local) or Weights & Biases."""
from __future__ import annotations


def log_cell(cfg, record, sweep: str | None = None) -> None:
    """``record``: the cell's :class:`~strikebench.results.record.CellRecord`."""
    name = cfg.logger.name
    if name == "wandb":
        from strikebench.tracking.wandb_logger import log_record

        log_record(cfg, record, sweep=sweep)
