"""Log a cell's record to Weights & Biases: online with an API key, offline otherwise.

The API key is read by wandb itself from WANDB_API_KEY or ~/.netrc; strikebench never reads,
prints or stores it, and only checks whether one is configured.
"""
from __future__ import annotations

import os
from pathlib import Path

from strikebench.errors import ConfigError
from strikebench.extras import load
from strikebench.results.record import CellRecord

MODES = ("auto", "online", "offline")


def api_key_configured() -> bool:
    if os.environ.get("WANDB_API_KEY"):
        return True
    netrc = Path(os.environ.get("NETRC", Path.home() / ".netrc"))
    try:
        return "api.wandb.ai" in netrc.read_text()
    except OSError:
        return False


def resolve_mode(mode: str) -> str:
    if mode not in MODES:
        raise ConfigError("logger.mode", f"unknown mode {mode!r}", ", ".join(MODES))
    if mode == "auto":
        return "online" if api_key_configured() else "offline"
    return mode


def run_summary(record: CellRecord) -> dict:
    """The run's summary: ``incumbent/holdout/all/ndcg@10`` -> value and ``.../n_users`` -> count
    for every company, view and group (None where a group has no users), and the cell's totals."""
    return {**record.flat_metrics(with_n_users=True), "participants/count": record.participants["count"],
            "timings/total_s": record.timings["total"]}


def log_record(cfg, record: CellRecord, sweep: str | None = None) -> None:
    wandb = load("wandb", "logger=wandb")

    mode = resolve_mode(str(cfg.logger.mode))
    config = dict(record.config)
    config["cell_key"] = record.cell_key
    run = wandb.init(
        project=cfg.logger.project,
        entity=cfg.logger.get("entity"),
        group=cfg.logger.get("group") or sweep or f"{record.dataset['name']}-single-cells",
        job_type=str(cfg.strike.lever.name),
        tags=[str(cfg.model.get("family", "unknown")), str(cfg.model.name)],
        name=f"{cfg.model.name}-p{cfg.strike.participation}-s{cfg.seed}",
        config=config,
        mode=mode,
        dir=str(cfg.results_dir),
        reinit="finish_previous",
    )
    run.summary.update(run_summary(record))
    run.finish()


def log_sweep_table(cfg, sweep: str, table, figure) -> None:
    """The sweep's summary table as a W&B Table artifact (and its plot), in the sweep's group."""
    wandb = load("wandb", "logger=wandb")

    run = wandb.init(project=cfg.logger.project, entity=cfg.logger.get("entity"),
                     group=cfg.logger.get("group") or sweep, job_type="sweep-summary", name=f"{sweep}-summary",
                     mode=resolve_mode(str(cfg.logger.mode)), dir=str(cfg.results_dir), reinit="finish_previous")
    artifact = wandb.Artifact(f"sweep-table-{sweep}", type="leaderboard")
    artifact.add(wandb.Table(dataframe=table), "summary")
    run.log_artifact(artifact)
    run.log({"summary": wandb.Table(dataframe=table), "plot": wandb.Image(str(figure))})
    run.finish()
