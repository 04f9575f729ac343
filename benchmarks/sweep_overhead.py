"""What a sweep costs around its cells: start-up, planning, the pre-sweep check, per-cell overhead.

    python -m benchmarks.sweep_overhead --out benchmarks/results/sweep_overhead.json

Every figure is the wall time of the ``strikebench`` command as a user runs it (a subprocess), so
Python's start-up and the imports are included. Per-cell overhead: a 40-cell Pop sweep; its
loop time (pre-sweep check done -> last cell's progress line) minus the cells' own time (each
record's ``timings.total``: data, levers, training, evaluation), divided by the cells. The
summary at the end is timed apart. The same sweep is also measured in CPU seconds in this
process (``sweep_40_cpu``). docs/performance.md ("Sweep overhead") has the numbers.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

COMMAND = [sys.executable, "-m", "strikebench"]
STUDY = ["experiment=data_strikes_random"]


def timed(*args: str, repeats: int = 1) -> float:
    """Median wall seconds of ``strikebench ARGS`` (it must succeed)."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run = subprocess.run([*COMMAND, *args], capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if run.returncode != 0:
            raise RuntimeError(f"strikebench {' '.join(args)} failed:\n{run.stderr[-2000:]}")
    return statistics.median(times)


def sweep_lines(*args: str) -> tuple[dict[str, float], list[str]]:
    """Run a sweep; the time at which each marker line appeared, and every line."""
    started = time.perf_counter()
    process = subprocess.Popen([*COMMAND, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    marks, lines = {}, []
    for line in process.stdout:
        now = time.perf_counter() - started
        lines.append(line.rstrip())
        if "cells checked in" in line:
            marks["checked"] = now
        if line.startswith("["):
            marks["last_cell"] = now
    process.wait()
    marks["end"] = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError("the sweep failed:\n" + "\n".join(lines[-30:]))
    return marks, lines


def pre_sweep_check(results: Path, extra: list[str]) -> dict:
    """The pre-sweep check of ``-m experiment=data_strikes_random`` in this process, its imports
    (torch, Lightning, RecBole: about 5 s here) done before; the data is loaded from its disk cache."""
    import strikebench.app.cell  # noqa: F401
    from strikebench.app.check import preflight_all
    from strikebench.app.plan import plan_cells

    overrides = [*STUDY, *extra, f"results_dir={results}"]
    started = time.perf_counter()
    cells = plan_cells(overrides)
    planned = time.perf_counter() - started
    started = time.perf_counter()
    preflight_all(overrides, multirun=True)
    return {"cells": len(cells), "plan_s": planned, "check_s": time.perf_counter() - started}


def sweep_cpu(results: Path) -> dict:
    """The same 40-cell sweep in this process, in CPU seconds (which other jobs on the machine
    inflate less than wall time): the loop, and the cells' own part of it (run_cell without the
    record's writing, which counts as outside)."""
    from strikebench.app import cell, cli, progress

    clock = {"inside": 0.0, "writing": 0.0}

    def summed(function, key):
        """``function``, with the CPU time of every call added to ``clock[key]``."""
        def call(*args, **kwargs):
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                clock[key] += time.process_time() - started
        return call

    def stamped(function, key):
        """``function``, with the CPU clock at its (last) call kept in ``clock[key]``."""
        def call(*args, **kwargs):
            clock[key] = time.process_time()
            return function(*args, **kwargs)
        return call

    with contextlib.ExitStack() as patches:
        for module, name, timed in ((cell, "run_cell", summed(cell.run_cell, "inside")),
                                    (cell, "write_record", summed(cell.write_record, "writing")),
                                    (progress, "start_sweep", stamped(progress.start_sweep, "loop_start")),
                                    (progress, "cell_finished", stamped(progress.cell_finished, "loop_end"))):
            patches.enter_context(mock.patch.object(module, name, timed))
        cli.main(["-m", "model=pop", "strike.participation=0,0.1,0.2,0.3", "seed=range(0,10)",
                  f"results_dir={results}"])
    cells = 40
    loop = clock["loop_end"] - clock["loop_start"]
    inside = clock["inside"] - clock["writing"]
    return {"cells": cells, "loop_cpu_s": loop, "inside_per_cell_cpu_s": inside / cells,
            "outside_per_cell_cpu_s": (loop - inside) / cells, "record_writing_per_cell_cpu_s": clock["writing"] / cells}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    out = {"load_average": os.getloadavg(), "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        out["help_s"] = timed("--help", repeats=3)
        out["version_s"] = timed("--version", repeats=3)
        (tmp / "cells").mkdir()
        out["status_s"] = timed("status", str(tmp), repeats=3)
        out["plan_340_s"] = timed("plan", "-m", *STUDY, f"results_dir={tmp}", repeats=3)
        out["plan_4080_s"] = timed("plan", "-m", *STUDY, "seed=range(0,60)", f"results_dir={tmp}")
        timed("model=pop", "strike.participation=0.1", f"results_dir={tmp / 'warm'}")  # fills the data cache
        # three cells, each in a results folder of its own (a second run in one folder reuses the record)
        out["pop_cell_warm_s"] = statistics.median(
            timed("model=pop", "strike.participation=0.1", f"results_dir={tmp / f'pop{run}'}") for run in range(3))
        out["check_340"] = pre_sweep_check(tmp / "check", [])
        out["check_4080"] = pre_sweep_check(tmp / "check4080", ["seed=range(0,60)"])
        sweep = tmp / "sweep"
        marks, lines = sweep_lines("-m", "model=pop", "strike.participation=0,0.1,0.2,0.3", "seed=range(0,10)",
                                   f"results_dir={sweep}")
        from strikebench.results import store

        inside = [r["timings"]["total"] for r in store.iter_records(sweep)]
        loop = marks["last_cell"] - marks["checked"]
        out["sweep_40"] = {
            "cells": len(inside), "wall_s": marks["end"], "start_and_check_s": marks["checked"],
            "loop_s": loop, "summary_s": marks["end"] - marks["last_cell"],
            "inside_per_cell_s": sum(inside) / len(inside),
            "outside_per_cell_s": (loop - sum(inside)) / len(inside),
            "progress_line_example": next(line for line in lines if line.startswith("[40/40]")),
        }
        out["sweep_40_cpu"] = sweep_cpu(tmp / "sweep_cpu")
    print(json.dumps(out, indent=1))
    if args.out:
        args.out.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
