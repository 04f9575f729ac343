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

from strikebench.app.cell import preflight, resolved_config, reuses_stored, run_cell
from strikebench.app.lightning_parts import tracking_of
from strikebench.app.plan import plan_cells, save_sweep
from strikebench.app.sweep import compose_cell, runs_on_slurm
from strikebench.app.sweep import launcher as sweep_launcher
from strikebench.config.needs import check_command_line
from strikebench.config.paths import CONF_SOURCE
from strikebench.errors import ConfigError, StrikebenchError
from strikebench.results.failures import clear_failure, record_failure
from strikebench.results.keys import cell_key
from strikebench.results.record import CellRecord
from strikebench.training.distributed import is_data_parallel, is_rank_zero

CELL_MARKER = "cell.json"  # written into each job's folder; the sweep summary reads them
# The cell's lines go to the console and to Hydra's job log (<output dir>/hydra_app.log).
log = logging.getLogger("strikebench.cell")


def preflight_all(overrides: list[str], multirun: bool) -> None:
    """Check every cell before any of them trains; raise StrikebenchError naming the field."""
    check_command_line(overrides)  # a missing extra (wandb, slurm) before Hydra needs its plugin
    if not multirun:
        cfg = compose_cell(overrides)
        if not reuses_stored(cfg, cell_key(resolved_config(cfg))):
            preflight(cfg)
        return
    cells = plan_cells(overrides)
    launcher = sweep_launcher(overrides)
    print(f"strikebench: checking {len(cells)} cells before the sweep starts "
          f"({sum(c['done'] for c in cells)} already done)", file=sys.stderr)
    for cell in cells:
        if reuses_stored(cell["cfg"], cell["key"]):
            continue
        try:
            # Slurm runs the cells on its nodes: their GPUs need not exist on this (login) machine.
            preflight(cell["cfg"], on_this_machine=not runs_on_slurm(launcher))
            _check_data_parallel_launch(cell["cfg"], launcher)
        except StrikebenchError as exc:
            raise StrikebenchError(f"{exc} [in the cell {' '.join(cell['overrides'])}]") from None
    save_sweep(cells)


def _check_data_parallel_launch(cfg, launcher: dict) -> None:
    """In a sweep, DDP's processes must come from Slurm: Lightning can only rerun a single command."""
    devices = int(cfg.trainer.devices)
    if not is_data_parallel(cfg.trainer) or devices == 1:
        return
    tasks = launcher["tasks_per_node"]
    if not runs_on_slurm(launcher) or tasks is None or int(tasks) != devices:
        raise ConfigError("hydra.launcher.tasks_per_node",
                          f"trainer=ddp on {devices} devices in a -m sweep needs one Slurm task per device "
                          f"(launcher {launcher['target'] or '?'}, tasks_per_node {tasks})",
                          "hydra/launcher=slurm, slurm_cpu or slurm_a100, which set it to trainer.devices; "
                          "or run each cell alone without -m")


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
    started = time.perf_counter()
    try:
        key = cell_key(resolved_config(cfg))  # hashes the data files: absent ones stop here
    except StrikebenchError as exc:
        print(f"strikebench: error: {exc}", file=sys.stderr)
        sys.exit(2)
    description = " ".join(HydraConfig.get().overrides.task)
    try:
        outcome = run_cell(cfg, log=lambda m: log.info(f"  {m}"), tracking=tracking_of(cfg, sweep=_sweep_name()))
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
    log.info(f"[{status}] {_describe(cfg)}: {headline(record, f'ndcg@{cfg.eval.ks[0]}')} "
             f"({time.perf_counter() - started:.1f}s) -> {outcome.path}")
