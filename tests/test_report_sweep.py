"""A tiny REAL sweep on ML-100K shared by the report, leaderboard and verify tests.

Random strike (Pop, ItemKNN; p = 0, 0.3, 0.5; seeds 0, 1) through the real command line, plus
EASE at p = 0 and 0.3, a targeted strike (half of the women) and a transfer to a competitor, run
cell by cell with ``run_cell``. Made once
per test session under pytest's base temp folder; the other test files import ``tiny_results``.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

RANDOM_SWEEP = ["-m", "model=pop,itemknn", "strike.participation=0,0.3,0.5", "seed=0,1", "trainer=tiny"]
EXTRA_CELLS = [  # a third ranked model for the leaderboard's neighbour tests (EASE: no training loop)
    ["model=ease", "strike.participation=0", "seed=0"],
    ["model=ease", "strike.participation=0", "seed=1"],
    ["model=ease", "strike.participation=0.3", "seed=0"],
    ["model=ease", "strike.participation=0.3", "seed=1"],
    ["model=pop", "strike/selector=attribute", "strike.participation=0.5", "seed=0"],
    ["model=itemknn", "strike/selector=attribute", "strike.participation=0.5", "seed=0"],
    ["model=pop", "strike/lever=transfer", "strike.participation=0.3", "seed=0"],
    ["model=itemknn", "strike/lever=transfer", "strike.participation=0.3", "seed=0"],
]
N_CELLS = 12 + len(EXTRA_CELLS)


def tiny_results(tmp_path_factory) -> Path:
    """The results dir of the tiny sweep (run on first use in this session)."""
    base = tmp_path_factory.getbasetemp() / "tiny_sweep"
    results = base / "results"
    done = base / "done"
    if done.is_file():
        return results
    base.mkdir(parents=True, exist_ok=True)
    run = subprocess.run([sys.executable, "-m", "strikebench", *RANDOM_SWEEP, f"results_dir={results}"],
                         capture_output=True, text=True, cwd=base, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    from strikebench.app.cell import run_cell
    from strikebench.app.sweep import compose_cell

    for overrides in EXTRA_CELLS:
        run_cell(compose_cell([*overrides, "trainer=tiny", f"results_dir={results}"]), log=lambda m: None)
    done.write_text("ok")
    return results


@pytest.fixture(scope="session")
def tiny_sweep(tmp_path_factory) -> Path:
    return tiny_results(tmp_path_factory)


def test_tiny_sweep_stores_every_cell(tiny_sweep):
    records = list((tiny_sweep / "cells").glob("*/record.json"))
    assert len(records) == N_CELLS
