"""A sweep submitted through Hydra's submitit Slurm launcher to the local cluster."""
from __future__ import annotations

import subprocess
import sys

import pytest

from strikebench.results import store

pytestmark = pytest.mark.slurm

LAUNCHER = ["hydra/launcher=slurm_cpu", "hydra.launcher.cpus_per_task=1", "hydra.launcher.mem_gb=1",
            "hydra.launcher.timeout_min=20"]


def sweep(results, *extra, timeout=900):
    return subprocess.run(
        [sys.executable, "-m", "strikebench.cli", "-m", *LAUNCHER, "model=pop,itemknn", "strike.participation=0,0.3",
         "trainer=tiny", f"results_dir={results}", *extra],
        capture_output=True, text=True, timeout=timeout, cwd=results.parent)


def test_slurm_sweep_lands_every_record_exactly_once(slurm_partition, tmp_path):
    results = tmp_path / "results"
    first = sweep(results, f"hydra.launcher.partition={slurm_partition}")
    assert first.returncode == 0, first.stderr[-3000:]
    assert "Submitit 'slurm' sweep" in first.stdout + first.stderr
    records = list(store.iter_records(results))
    assert sorted((r["config"]["model"]["name"], r["config"]["strike"]["participation"]) for r in records) == [
        ("ItemKNN", 0.0), ("ItemKNN", 0.3), ("Pop", 0.0), ("Pop", 0.3)]
    assert "| Pop | 0.3 |" in first.stdout  # the sweep's table, printed on the submitting host

    # Relaunched, every job finds its record and stores nothing new.
    again = sweep(results, f"hydra.launcher.partition={slurm_partition}")
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(list(store.cells_dir(results).iterdir())) == 4
    assert not (results / "previous").exists()
