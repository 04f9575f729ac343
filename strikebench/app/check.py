"""The pre-sweep check: every cell of a command line is checked before any of them trains.

Hydra composes each distinct combination of config groups once (strikebench.app.expansion); the
data checks (load, split, levers) run once per dataset, split, strike and seed. torch and the
stages are imported only when a check runs, so ``--help`` and ``--cfg`` start at once.
"""
from __future__ import annotations

import json
import sys
import time

from strikebench.app import progress
from strikebench.app.expansion import Composer, resolved_config
from strikebench.app.jobs import mark_checked
from strikebench.app.plan import plan_cells, save_sweep
from strikebench.app.sweep import compose_cell, runs_on_slurm
from strikebench.app.sweep import launcher as sweep_launcher
from strikebench.config.needs import check_command_line
from strikebench.errors import ConfigError, StrikebenchError
from strikebench.results.keys import cell_key


def preflight_all(overrides: list[str], multirun: bool) -> None:
    """Check every cell before any of them trains; raise StrikebenchError naming the field."""
    from strikebench.app.cell import preflight, reuses_stored

    check_command_line(overrides)  # a missing extra (wandb, slurm) before Hydra needs its plugin
    if not multirun:
        unchecked_run()
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
    from strikebench.app.cell import device_of, preflight
    from strikebench.app.validate import validate

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
    from strikebench.training.distributed import is_data_parallel

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


def unchecked_run() -> None:
    """A run that no sweep check came before: no sweep size, nothing Hydra may skip checking."""
    progress.single_cell()
    mark_checked([])
