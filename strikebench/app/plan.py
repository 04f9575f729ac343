"""``strikebench plan`` and ``strikebench status``: what a sweep holds, what is done, what is left.

    strikebench plan [-m] KEY=VALUE ... [--write-cells FILE]
    strikebench status RESULTS_DIR

A sweep's cell list is saved as ``<results_dir>/sweeps/<sweep name>/cells.json`` when it starts
(beside Hydra's job folders and the sweep's summary), so ``status`` can tell missing cells from
cells that were never asked for.
"""
from __future__ import annotations

import argparse
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from strikebench.app import estimate
from strikebench.app.cell_lock import is_held
from strikebench.app.expansion import Composer
from strikebench.app.group_command import group_line
from strikebench.app.progress import duration
from strikebench.app.stack_groups import groups_of
from strikebench.app.sweep import compose_cell, expand
from strikebench.errors import StrikebenchError
from strikebench.results import corrupt, failures, store
from strikebench.results.atomic import atomic_file
from strikebench.results.keys import cell_key

SWEEPS = "sweeps"
SWEEP_PLAN = "cells.json"  # in the sweep's folder (hydra.sweep.dir)
WORK = ".work"  # the default work_dir under results_dir, where running cells hold their lock
_planned: list = []  # the cells of the sweep this process checked, until Hydra names its folder


@dataclass(frozen=True)
class PlannedCell:
    overrides: list[str]
    config: dict  # resolved, plain (shared with other cells: read only)
    key: str
    done: bool

    @property
    def model(self) -> str:
        return str(self.config["model"]["name"])

    @property
    def results_dir(self) -> str:
        return str(self.config["results_dir"])

    def __getitem__(self, name: str):
        """As the dict a planned cell was: ``cell["key"]``, ``cell["done"]``, ``cell["cfg"]`` ..."""
        return compose_cell(self.overrides) if name == "cfg" else getattr(self, name)

    @property
    def reused(self) -> bool:
        """Done, and run again only with force=true or resume=false."""
        return self.done and bool(self.config["resume"]) and not self.config["force"]


def plan_cells(overrides: list[str], composer: Composer | None = None) -> list[PlannedCell]:
    """Every cell of the command line with its key and done state (each group combination is
    composed once by Hydra: strikebench.app.expansion)."""
    composer = composer or Composer()
    cells = []
    for cell in expand(overrides):
        config = composer.resolved(cell)
        key = cell_key(config)
        cells.append(PlannedCell(cell, config, key, store.is_done(config["results_dir"], key)))
    return cells


def save_sweep(cells: list[PlannedCell]) -> None:
    """Remember a sweep's checked cells; :func:`write_sweep_plan` stores them in the sweep's folder
    once Hydra starts the sweep (app/hydra_callbacks.py), for ``status``."""
    _planned[:] = cells


def write_sweep_plan(sweep_dir) -> Path | None:
    """``<sweep_dir>/cells.json``: the cells :func:`save_sweep` remembered (none: nothing written)."""
    if not _planned:
        return None
    path = Path(sweep_dir) / SWEEP_PLAN
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as fh:
        json.dump([{"key": c.key, "cell": " ".join(c.overrides)} for c in _planned], fh, indent=1)
    return path


def planned_cells(results_dir) -> dict[str, str]:
    """key -> overrides of every cell of the sweeps saved under ``results_dir`` (also the
    ``sweeps/*.json`` files of earlier versions)."""
    planned = {}
    folder = Path(results_dir) / SWEEPS
    for plan in sorted([*folder.glob(f"*/{SWEEP_PLAN}"), *folder.glob("*.json")]):
        for cell in json.loads(plan.read_text()):
            planned[cell["key"]] = cell["cell"]
    return planned


def plan_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="strikebench plan", usage="strikebench plan [-m] KEY=VALUE ... [--write-cells FILE]",
        description="The cells of a sweep, done or missing, and the time the missing ones will take.")
    parser.add_argument("-m", "--multirun", action="store_true",
                        help="as for a run; plan always expands the sweep, with or without it")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="the sweep's Hydra overrides")
    parser.add_argument("--write-cells", type=Path, metavar="FILE",
                        help="write the missing cells' overrides, one line each, or one line per group of "
                             "cells that train together with trainer.stack=K (for slurm/array.sbatch)")
    args = parser.parse_args(argv)
    cells = plan_cells(args.overrides)
    print_plan(cells)
    if args.write_cells:
        _write_cells(cells, args.write_cells)
    return 0


def print_plan(cells: list[PlannedCell]) -> None:
    """Cells per model: done, missing, the cost per cell and its source, and the time left."""
    measured = estimate.measured_costs(cells[0].results_dir) if cells else {}
    documented = estimate.documented_costs()
    done = sum(c.done for c in cells)
    print(f"{len(cells)} cells, {done} done, {len(cells) - done} missing")
    print("| model | dataset | cells | done | missing | time per cell | measured by | time left |\n"
          "|---|---|---|---|---|---|---|---|")
    groups = defaultdict(list)
    for cell in cells:
        groups[estimate.cost_key(cell.config)].append(cell)
    missing = []
    for key, group in sorted(groups.items(), key=lambda item: str(item[0])):
        cost = estimate.cost_of(group[0].config, measured, documented)
        left = [c for c in group if not c.done]
        missing += [(key[0], cost)] * len(left)
        per_cell = duration(cost.seconds) if cost else "unknown"
        print(f"| {key[0]} | {key[1]} | {len(group)} | {len(group) - len(left)} | {len(left)} | {per_cell} | "
              f"{cost.source if cost else 'no measured cost'} | "
              f"{duration(cost.seconds * len(left)) if cost else 'unknown'} |")
    print(estimate.time_left_line(missing))
    print("(on one worker like those that measured the costs; cells run in parallel divide it)")


def _write_cells(cells: list[PlannedCell], path: Path) -> None:
    """One line per missing cell, or per group of cells that train together (``trainer.stack``)."""
    missing = [c for c in cells if not c.done]
    lines = [group_line([c.overrides for c in group]) for group in groups_of(missing, lambda c: c.config)]
    if any(" " in o for c in cells for o in c.overrides):
        raise StrikebenchError("--write-cells: an override holds a space; slurm/array.sbatch splits lines on spaces")
    path.write_text("".join(f"{line}\n" for line in lines))
    if lines:
        print(f"wrote {len(missing)} missing cells in {len(lines)} lines to {path} "
              f"(sbatch --array=0-{len(lines) - 1} --export=ALL,CELLS={path} slurm/array.sbatch)")
    else:
        print(f"every cell is done: {path} is empty, nothing to submit")


def running_cells(results_dir) -> set[str]:
    """Keys of the cells a live process holds the lock of, under the default work_dir."""
    work = Path(results_dir) / WORK
    if not work.is_dir():
        return set()
    return {p.name for p in work.iterdir() if p.is_dir() and is_held(p)}


def status_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="strikebench status", description="Cells done, failed and missing in a results directory.")
    parser.add_argument("results_dir", type=Path)
    args = parser.parse_args(argv)
    if not args.results_dir.is_dir():
        raise StrikebenchError(f"no results directory {args.results_dir}")
    done = {r["cell_key"] for r in store.iter_records(args.results_dir)}
    running = running_cells(args.results_dir) - done
    failed = {k: v for k, v in failures.read_failures(args.results_dir).items() if k not in done | running}
    planned = planned_cells(args.results_dir)
    missing = {k: c for k, c in planned.items() if k not in done | running and k not in failed}
    set_aside = corrupt.set_aside_entries(args.results_dir)
    print(f"{args.results_dir}: {len(done)} done, {len(running)} running, {len(failed)} failed, {len(missing)} missing"
          + (f", {len(set_aside)} set aside as corrupt" if set_aside else "")
          + ("" if planned else " (no sweep plan saved here: missing cells are unknown)"))
    for key in sorted(running):
        print(f"\nrunning {key}: {planned.get(key, '(not in a saved sweep plan)')}")
    for name, reason in set_aside:
        print(f"\ncorrupt {name} (in {corrupt.corrupt_dir(args.results_dir) / name}; its cell runs again)\n  {reason}")
    for key, entry in failed.items():
        print(f"\nfailed {key}: {entry['cell']}\n  {entry['error']}")
        for line in entry["last_lines"][-5:]:
            print(f"    {line}")
    if missing:
        print("\nmissing:")
        for key, cell in missing.items():
            print(f"  {key}: {cell}")
    return 0
