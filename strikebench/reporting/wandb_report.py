"""Log a report's figures (and the long results table) to a W&B run.

The run goes where the cells' runs go, ``<results_dir>/wandb/`` (offline: ``offline-run-*``, what
``wandb sync results/wandb/offline-run-*`` uploads). Its mode follows the per-cell logger's rule
(strikebench.tracking.wandb_mode): offline unless an API key is configured or WANDB_MODE says
otherwise, offline if the server cannot be reached. wandb reads the key itself, and strikebench
never reads, prints or stores it.
"""
from __future__ import annotations

from pathlib import Path

from strikebench.errors import StrikebenchError
from strikebench.extras import load
from strikebench.tracking.wandb_mode import describe, open_run


def log_report(results, out_dir: Path, figure_files: list[Path], settings: dict,
               project: str = "strikebench", mode: str = "auto", log=print) -> str:
    """Returns the run's local folder (offline) or its URL (online)."""
    wandb = load("wandb", "report --wandb")
    where = Path(results.results_dir)
    opened = open_run(wandb, mode, project=project, job_type="report", dir=str(where),
                      name=f"report-{results.results_dir.name}",
                      config={"results_dir": results.results_dir.name, "report": str(out_dir.name),
                              "cells": len(results.records), "metric": settings["metric"]})
    warning = describe(opened, where / "wandb")
    if warning:
        log(f"strikebench: {warning}")
    if opened.run is None:
        raise StrikebenchError(f"report --wandb: {warning}")
    run = opened.run
    images = {f"figures/{p.stem}": wandb.Image(str(p)) for p in figure_files if p.suffix == ".png"}
    if images:
        run.log(images)
    run.log({"results_table": wandb.Table(dataframe=results.table.drop(columns=["cell_key"], errors="ignore"))})
    url = run.url if opened.mode == "online" else None
    run_dir = str(Path(run.dir).parent)
    run.finish()
    return url or run_dir
