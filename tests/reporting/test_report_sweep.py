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

import numpy as np
import pandas as pd
import pytest
from scipy import stats

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


def random_strike(per_user: pd.DataFrame) -> pd.DataFrame:
    """The incumbent's holdout rows of the random strike, its p = 0 cells included."""
    return per_user[(per_user["view"] == "holdout") & (per_user["company"] == "incumbent")
                    & (per_user["lever"] == "strike") & (per_user["selector"] == "random")]


def loss_share_by_hand(per_user: pd.DataFrame, model: str, p: float, group: str = "all",
                       same_users: bool = True, metric: str = "ndcg@10") -> tuple[float, np.ndarray, float]:
    """L(p) of ``model``'s ``group`` (all, participants, non_participants) in the random strike,
    from per-user rows: (ratio of the means over seeds, each seed's own ratio L_s, 95% t half-width
    over the L_s). Per seed, M is the group's mean at p, M(0) and M_ref the model's and Pop's means
    at p = 0 over the same users (over every user when ``same_users`` is False)."""
    pu = random_strike(per_user)
    cell = pu[(pu["model"] == model) & (pu["participation"] == p)]
    m, m0, ref = [], [], []
    for seed in sorted(cell["seed"].unique()):
        at = cell[cell["seed"] == seed]
        if group != "all":
            at = at[at["participant"] == (group == "participants")]
        full = pu[(pu["participation"] == 0.0) & (pu["seed"] == seed)]
        if same_users:
            full = full[full["user"].isin(at["user"])]
        m.append(at[metric].mean())
        m0.append(full.loc[full["model"] == model, metric].mean())
        ref.append(full.loc[full["model"] == "Pop", metric].mean())
    m, m0, ref = np.array(m), np.array(m0), np.array(ref)
    per_seed = (m0 - m) / (m0 - ref)
    half = stats.t.ppf(0.975, len(m) - 1) * per_seed.std(ddof=1) / np.sqrt(len(m))
    return (m0.mean() - m.mean()) / (m0.mean() - ref.mean()), per_seed, half


@pytest.fixture(scope="session")
def tiny_sweep(tmp_path_factory) -> Path:
    return tiny_results(tmp_path_factory)


@pytest.mark.slow  # the sweep: a strikebench subprocess on ML-100K
def test_tiny_sweep_stores_every_cell(tiny_sweep):
    records = list((tiny_sweep / "cells").glob("*/record.json"))
    assert len(records) == N_CELLS
