"""The Hydra application: one call runs one cell; ``-m`` runs many through Hydra's launcher."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from strikebench.app import progress
from strikebench.app.cell import device_of, preflight, reuses_stored, run_cell
from strikebench.app.expansion import Composer, resolved_config
from strikebench.app.jobs import mark_checked
from strikebench.app.plan import plan_cells, save_sweep
from strikebench.app.sweep import compose_cell, runs_on_slurm
from strikebench.app.sweep import launcher as sweep_launcher
from strikebench.config.paths import CONF_DIR
from strikebench.config.validate import validate
from strikebench.errors import ConfigError, StrikebenchError
from strikebench.results.failures import clear_failure, record_failure
from strikebench.results.keys import cell_key
from strikebench.results.record import CellRecord
from strikebench.tracking import log_cell
from strikebench.training.distributed import is_data_parallel, is_rank_zero

CELL_MARKER = "cell.json"  # written into each job's folder; the sweep summary reads them


def preflight_all(overrides: list[str], multirun: bool) -> None:
    """Check every cell before any of them trains; raise StrikebenchError naming the field.

    Hydra composes each distinct combination of config groups once (strikebench.app.expansion),
    and the data checks (load, split, levers) run once per dataset, split, strike and seed."""
    if not multirun:
        progress.single_cell()
        mark_checked([])
        cfg = compose_cell(overrides)
        progress.progress_mode(cfg)
        if not reuses_stored(cfg, cell_key(resolved_config(cfg))):
            preflight(cfg)
        return
    composer = Composer()
    cells = plan_cells(overrides, composer)
    launcher = sweep_launcher(overrides)
    # Slurm runs the cells on its nodes: their GPUs need not exist on this (login) machine.
    on_this_machine = not runs_on_slurm(launcher)
    to_run = [cell for cell in cells if not cell.reused]
    print(f"strikebench: checking {len(cells)} cells before the sweep starts "
          f"({len(cells) - len(to_run)} already done)", file=sys.stderr)
    started, data_checked = time.perf_counter(), set()
    for cell in progress.checking(to_run):
        cfg = composer.config(cell.overrides, shared=True)
        try:
            _check_cell(cfg, cell.config, on_this_machine, data_checked)
            _check_data_parallel_launch(cfg, launcher)
        except StrikebenchError as exc:
            raise StrikebenchError(f"{exc} [in the cell {' '.join(cell.overrides)}]") from None
    print(f"strikebench: {len(to_run)} cells checked in {progress.duration(time.perf_counter() - started)}",
          file=sys.stderr)
    save_sweep(cells)
    mark_checked(cell.overrides for cell in cells)  # Hydra's sweeper need not compose them again
    progress.start_sweep(len(cells), len(to_run))


def _check_cell(cfg, config: dict, on_this_machine: bool, data_checked: set) -> None:
    """:func:`preflight`, with its data part once per dataset, split, strike and seed (the model
    and trainer do not change what the levers leave each company)."""
    progress.progress_mode(cfg)
    data_key = json.dumps([config[k] for k in ("dataset", "data_root", "split", "strike", "seed")]
                          + [config.get("data_cache")], sort_keys=True, default=str)
    if data_key not in data_checked:
        preflight(cfg, on_this_machine=on_this_machine)
        data_checked.add(data_key)
        return
    validate(cfg)
    if on_this_machine:
        device_of(cfg)


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


@hydra.main(config_path=str(CONF_DIR), config_name="config", version_base="1.3")
def app(cfg: DictConfig) -> None:
    started = time.perf_counter()
    key = cell_key(resolved_config(cfg))
    description = " ".join(HydraConfig.get().overrides.task)
    cfg.trainer.progress_bar = progress.progress_mode(cfg)  # auto -> on a terminal only (not in the key)
    try:
        outcome = run_cell(cfg, log=lambda m: print(f"  {m}"))
    except StrikebenchError as exc:
        if is_rank_zero():
            record_failure(cfg.results_dir, key, description, exc)
        print(f"strikebench: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001 - recorded for `strikebench status`, then re-raised
        if is_rank_zero():
            record_failure(cfg.results_dir, key, description, exc)
        raise
    if outcome.record is None:  # a data-parallel worker: rank 0 reports the cell
        return
    clear_failure(cfg.results_dir, key)
    output_dir = Path(HydraConfig.get().runtime.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / CELL_MARKER).write_text(json.dumps({"key": outcome.key, "path": str(outcome.path)}))
    record = CellRecord.from_json(outcome.record)
    if outcome.ran:
        log_cell(cfg, record, sweep=_sweep_name())
    status = "done" if outcome.ran else "reused"
    seconds = time.perf_counter() - started
    print(f"[{status}] {_describe(cfg)}: {headline(record, f'ndcg@{cfg.eval.ks[0]}')} "
          f"({seconds:.1f}s) -> {outcome.path}")
    if _sweep_name() is not None:
        print(progress.cell_finished(HydraConfig.get().job.num + 1, _describe(cfg), seconds if outcome.ran else None))
