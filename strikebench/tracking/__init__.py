"""Where a cell goes besides the results store: nowhere (``logger=local``) or a W&B run
(``logger=wandb``, strikebench.tracking.wandb_logger.WandbTracking, built from conf/logger/).

A tracker is told when the cell's training starts (:meth:`start`), gives Lightning its loggers
per company, adds an entry to the record, and is told when the record is stored (:meth:`finish`)
or the cell failed (:meth:`abort`). None of it may fail a cell.
"""
from __future__ import annotations


class NoTracking:
    """``logger=local``: records are written to ``results_dir`` and nowhere else."""

    def start(self, header) -> None:
        pass

    def lightning_loggers(self, company: str) -> list:
        return []

    def record_entry(self) -> dict | None:
        return None

    def finish(self, record, cell_path) -> None:
        pass

    def abort(self) -> None:
        pass
