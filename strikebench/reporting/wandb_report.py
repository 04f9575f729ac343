"""Log a report's figures (and the long results table) to a W&B run.

Offline unless an API key is configured (same rule as the per-cell logger); wandb reads the key
itself, and strikebench never reads, prints or stores it.
"""
from __future__ import annotations

from pathlib import Path

from strikebench.extras import load
from strikebench.tracking.wandb_logger import resolve_mode


def log_report(results, out_dir: Path, figure_files: list[Path], settings: dict,
               project: str = "strikebench", mode: str = "auto") -> str:
    """Returns the run's local folder (offline) or its URL (online)."""
    wandb = load("wandb", "report --wandb")

    run = wandb.init(project=project, job_type="report", mode=resolve_mode(mode), dir=str(out_dir),
                     name=f"report-{results.results_dir.name}", reinit="finish_previous",
                     config={"results_dir": str(results.results_dir), "cells": len(results.records),
                             "metric": settings["metric"]})
    images = {f"figures/{p.stem}": wandb.Image(str(p)) for p in figure_files if p.suffix == ".png"}
    if images:
        run.log(images)
    run.log({"results_table": wandb.Table(dataframe=results.table.drop(columns=["cell_key"], errors="ignore"))})
    where = run.url or str(Path(run.dir).parent)
    run.finish()
    return where
