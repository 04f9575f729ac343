"""A sweep's summary run in W&B: its table, its plots and the study chart, in the sweep's group.

The study chart is one W&B line chart per user group (``study/<metric>/<group>``): the metric
against participation, one line per model family (its mean over seeds) and two thin lines per
family for its seed band (``<family> -sd``, ``<family> +sd``), from a W&B Table, so it shows in
the run's workspace as it is logged. The same curves with shaded bands are logged as an image
(``study/<metric>_by_family``), beside the per-model plot of the sweep summary.
"""
from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from strikebench.extras import load
from strikebench.results.vocabulary import GROUPS
from strikebench.tracking import wandb_record
from strikebench.tracking.wandb_mode import describe, one_line, open_run

log = logging.getLogger(__name__)


def log_sweep(logger_cfg, sweep: str, table: pd.DataFrame, chart: dict[str, list[list]], metric: str,
              images: dict[str, Path]) -> None:
    """``table``: the sweep Table (a row per model and p); ``chart``: group -> line-chart rows
    [participation, value, line]; ``images``: key -> PNG. W&B failing is a warning, not an error."""
    wandb = load("wandb", "logger=wandb")
    results = Path(str(logger_cfg.get("dir") or "results"))
    opened = open_run(wandb, str(logger_cfg.mode), project=logger_cfg.project, entity=logger_cfg.get("entity"),
                      group=logger_cfg.get("group") or sweep, job_type="sweep-summary", name=f"{sweep}-summary",
                      id=wandb_record.sweep_run_id(sweep), resume="allow", dir=str(results),
                      config={"sweep": sweep, "metric": metric, "cells": int(table["seeds"].sum())})
    warning = describe(opened, results / "wandb")
    if warning:
        log.warning(f"strikebench: {warning}")
    if opened.run is None:
        return
    try:
        _log_into(wandb, opened.run, sweep, table, chart, metric, images)
        opened.run.finish()
    except Exception as exc:  # noqa: BLE001 - the sweep's records are stored; W&B is extra
        log.warning(f"strikebench: W&B logging of the sweep summary failed: {one_line(exc)}")


def _log_into(wandb, run, sweep, table, chart, metric, images) -> None:
    artifact = wandb.Artifact(f"sweep-table-{wandb_record.sweep_run_id(sweep)}", type="leaderboard")
    artifact.add(wandb.Table(dataframe=table), "summary")
    run.log_artifact(artifact)
    logged = {"summary": wandb.Table(dataframe=table)}
    logged.update({key: wandb.Image(str(path)) for key, path in images.items()})
    for group in GROUPS:
        if chart.get(group):
            data = wandb.Table(columns=["participation", metric, "line"], data=chart[group])
            logged[f"study/{metric}/{group}"] = wandb.plot.line(
                data, "participation", metric, stroke="line",
                title=f"{metric} against participation per model family, {group.replace('_', '-')} (±sd over seeds)")
    run.log(logged)
