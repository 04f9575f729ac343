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
import statistics
from collections import Counter, defaultdict
from pathlib import Path

from strikebench.app.cell import resolved_config
from strikebench.app.cell_lock import is_held
from strikebench.app.sweep import compose_cell, expand
from strikebench.errors import StrikebenchError
from strikebench.results import corrupt, failures, store
from strikebench.results.atomic import atomic_file
from strikebench.results.keys import cell_key

SWEEPS = "sweeps"
SWEEP_PLAN = "cells.json"  # in the sweep's folder (hydra.sweep.dir)
_planned: list[dict] = []  # the cells of the sweep this process checked, until Hydra names its folder
WORK = ".work"  # the default work_dir under results_dir, where running cells hold their lock


def plan_cells(overrides: list[str]) -> list[dict]:
    """Every cell of the command line with its key, model, results_dir and done state."""
    cells = []
    for cell in expand(overrides):
        cfg = compose_cell(cell)
        key = cell_key(resolved_config(cfg))
        cells.append({"overrides": cell, "key": key, "model": str(cfg.model.name), "cfg": cfg,
                      "results_dir": str(cfg.results_dir), "done": store.is_done(cfg.results_dir, key)})
    return cells


def save_sweep(cells: list[dict]) -> None:
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
        json.dump([{"key": c["key"], "cell": " ".join(c["overrides"])} for c in _planned], fh, indent=1)
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


def seconds_per_cell(results_dir) -> dict[str, float]:
    """Median wall time per model among the cells already done: the cost estimate."""
    times = defaultdict(list)
    for record in store.iter_records(results_dir):
        times[record["config"]["model"]["name"]].append(record["timings"]["total"])
    return {model: statistics.median(values) for model, values in times.items()}


def _duration(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"


def plan_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="strikebench plan", description="The cells of a sweep, done or missing, and their cost.")
    parser.add_argument("overrides", nargs="*")
    parser.add_argument("--write-cells", type=Path, help="write the missing cells' overrides, one line each (for slurm/array.sbatch)")
    args = parser.parse_args([a for a in argv if a not in ("-m", "--multirun")])
    cells = plan_cells(args.overrides)
    per_cell = seconds_per_cell(cells[0]["results_dir"]) if cells else {}
    by_model = Counter(c["model"] for c in cells)
    done = Counter(c["model"] for c in cells if c["done"])
    print(f"{len(cells)} cells, {sum(done.values())} done, {len(cells) - sum(done.values())} missing")
    print("| model | cells | done | missing | est. time per cell | est. time left |\n|---|---|---|---|---|---|")
    total = 0.0
    for model, count in sorted(by_model.items()):
        missing = count - done[model]
        estimate = per_cell.get(model)
        left = estimate * missing if estimate is not None else None
        total += left or 0.0
        print(f"| {model} | {count} | {done[model]} | {missing} | "
              f"{_duration(estimate) if estimate is not None else 'unknown (no record yet)'} | "
              f"{_duration(left) if left is not None else '?'} |")
    print(f"estimated time left on one worker like the ones that ran the done cells: {_duration(total)}")
    if args.write_cells:
        lines = [" ".join(c["overrides"]) for c in cells if not c["done"]]
        if any(" " in o for c in cells for o in c["overrides"]):
            raise StrikebenchError("--write-cells: an override holds a space; slurm/array.sbatch splits lines on spaces")
        args.write_cells.write_text("".join(f"{line}\n" for line in lines))
        if lines:
            print(f"wrote {len(lines)} missing cells to {args.write_cells} "
                  f"(sbatch --array=0-{len(lines) - 1} --export=ALL,CELLS={args.write_cells} slurm/array.sbatch)")
        else:
            print(f"every cell is done: {args.write_cells} is empty, nothing to submit")
    return 0


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
