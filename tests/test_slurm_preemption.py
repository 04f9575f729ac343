"""A Slurm job killed mid-training, then the sweep relaunched: it completes once, from the checkpoint."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from strikebench.results import store
from tests.conftest import run_quiet

pytestmark = pytest.mark.slurm


def sweep_command(results, partition):
    return [sys.executable, "-m", "strikebench.cli", "-m", "hydra/launcher=slurm_cpu", "hydra.launcher.cpus_per_task=1",
            "hydra.launcher.mem_gb=1", f"hydra.launcher.partition={partition}", "model=bpr", "strike.participation=0",
            "trainer.max_epochs=12", "trainer.patience=12", f"results_dir={results}"]


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(1)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def test_killed_job_relaunched_resumes_from_its_checkpoint(slurm_partition, tmp_path):
    results = tmp_path / "results"
    first = subprocess.Popen(sweep_command(results, slurm_partition), cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: list(results.glob(".work/*/incumbent/checkpoints/last.ckpt")), 300, "a checkpoint")
        jobs = run_quiet(["squeue", "-h", "-n", "hydra_app", "-o", "%i"]).stdout.split()
        assert jobs, "the sweep's job is not in the queue"
        for job in jobs:
            run_quiet(["scancel", "--signal=KILL", job])  # killed mid-training, no time to clean up
        output, _ = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode != 0, output[-2000:]
    assert not list(store.iter_records(results))  # the killed cell left no record ...
    assert list(results.glob(".work/*/incumbent/checkpoints/last.ckpt"))  # ... but its checkpoint

    again = subprocess.run(sweep_command(results, slurm_partition), cwd=tmp_path, capture_output=True, text=True,
                           timeout=900)
    assert again.returncode == 0, again.stderr[-3000:]
    (record,) = list(store.iter_records(results))
    assert record["companies"]["incumbent"]["training"]["resumed_from_epoch"] is not None
    assert len(list(store.cells_dir(results).iterdir())) == 1 and not (results / "previous").exists()
    assert not list(results.glob(".work/*"))  # checkpoints cleaned up after success
