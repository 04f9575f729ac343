"""The Hydra application: one call runs one cell; ``-m`` runs many through Hydra's launcher."""
from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from strikebench.app import progress
from strikebench.app.check import preflight_all  # noqa: F401  (the CLI's check before Hydra runs)
from strikebench.app.expansion import resolved_config
from strikebench.config.paths import CONF_SOURCE
from strikebench.errors import StrikebenchError
from strikebench.results.failures import clear_failure, record_failure
from strikebench.results.keys import cell_key
from strikebench.results.record import CellRecord

CELL_MARKER = "cell.json"  # written into each job's folder; the sweep summary reads them
# The cell's lines go to the console and to Hydra's job log (<output dir>/hydra_app.log).
log = logging.getLogger("strikebench.cell")


def _sweep_name() -> str | None:
    """A multirun's name (its folder's): every cell of one sweep goes into one W&B group."""
    from hydra.types import RunMode

    hydra_cfg = HydraConfig.get()
    return Path(str(hydra_cfg.sweep.dir)).name if hydra_cfg.mode == RunMode.MULTIRUN else None


def _describe(cfg) -> str:
    return f"{cfg.model.name} {cfg.strike.lever.name} p={cfg.strike.participation} seed={cfg.seed}"


def headline(record: CellRecord, metric: str, company: str = "incumbent", view: str = "holdout") -> str:
    """``ndcg@10 all=0.1234, participants=n/a (0 users), ...``: one metric of one company per group."""
    shown = [f"{row.group}={row.value:.4f}" if row.value is not None else f"{row.group}=n/a ({row.n_users} users)"
             for row in record.metric_rows() if (row.company, row.view, row.metric) == (company, view, metric)]
    return f"{metric} " + ", ".join(shown)


@hydra.main(config_path=CONF_SOURCE, config_name="config", version_base="1.3")
def app(cfg: DictConfig) -> None:
    # the stages (torch, Lightning, RecBole) only when a cell runs: --help and -sc start at once
    from strikebench.app.cell import run_cell
    from strikebench.app.lightning_parts import tracking_of
    from strikebench.app.stacked_sweep import outcome_of
    from strikebench.training.distributed import is_rank_zero

    started = time.perf_counter()
    try:
        key = cell_key(resolved_config(cfg))  # hashes the data files: absent ones stop here
    except StrikebenchError as exc:
        print(f"strikebench: error: {exc}", file=sys.stderr)
        sys.exit(2)
    description = " ".join(HydraConfig.get().overrides.task)
    cfg.trainer.progress_bar = progress.progress_mode(cfg)  # auto -> on a terminal only (not in the key)
    try:
        # a cell of a stacked group (trainer.stack) was trained with its group before this job
        stacked = outcome_of(key)
        outcome = stacked or run_cell(cfg, log=lambda m: log.info(f"  {m}"),
                                      tracking=tracking_of(cfg, sweep=_sweep_name()))
    except StrikebenchError as exc:
        if is_rank_zero():
            record_failure(cfg.results_dir, key, description, exc)
        log.error(f"strikebench: error: {exc}")
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001 - recorded for `strikebench status`, then re-raised
        if is_rank_zero():
            record_failure(cfg.results_dir, key, description, exc)
        log.error(f"strikebench: {_describe(cfg)} failed: {type(exc).__name__}: {exc}")  # in the job log too
        raise
    if outcome.running_elsewhere:  # another job trains it and stores its record (lock=skip)
        log.info(f"[running elsewhere] {_describe(cfg)}: held by {outcome.running_elsewhere}; skipped")
        return
    if outcome.record is None:  # a data-parallel worker: rank 0 reports the cell
        return
    clear_failure(cfg.results_dir, key)
    output_dir = Path(HydraConfig.get().runtime.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / CELL_MARKER).write_text(json.dumps({"key": outcome.key, "path": str(outcome.path)}))
    record = CellRecord.from_json(outcome.record)
    status = "done" if outcome.ran else "reused"
    # a stacked cell's own time: its share of its group's training, its data and evaluation
    seconds = outcome.record["timings"]["total"] if stacked and outcome.ran else time.perf_counter() - started
    log.info(f"[{status}] {_describe(cfg)}: {headline(record, f'ndcg@{cfg.eval.ks[0]}')} "
             f"({seconds:.1f}s) -> {outcome.path}")
    if _sweep_name() is not None:
        log.info(progress.cell_finished(HydraConfig.get().job.num + 1, _describe(cfg), seconds if outcome.ran else None))
