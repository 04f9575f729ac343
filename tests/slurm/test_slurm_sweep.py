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
        [sys.executable, "-m", "strikebench", "-m", *LAUNCHER, "model=pop,itemknn", "strike.participation=0,0.3",
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


@pytest.mark.heavy
def test_ddp_cell_on_two_slurm_tasks(slurm_partition, tmp_path):
    """trainer=ddp in a Slurm sweep: the preset asks one task per device; Lightning uses Slurm's ranks."""
    results = tmp_path / "results"
    run = subprocess.run(
        [sys.executable, "-m", "strikebench", "-m", *LAUNCHER, f"hydra.launcher.partition={slurm_partition}",
         "model=bpr", "strike.participation=0", "trainer=ddp", "trainer.max_epochs=2", f"results_dir={results}"],
        capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    (record,) = list(store.iter_records(results))
    assert record["companies"]["incumbent"]["training"]["world_size"] == 2
    (rank_one_log,) = results.glob("sweeps/*/.submitit/*/*_1_log.out")  # Slurm's second task
    assert "Loading pickle" in rank_one_log.read_text()
