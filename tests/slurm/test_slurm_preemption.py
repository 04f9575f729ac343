"""Preemption on a real Slurm cluster: every way a job can be stopped mid-training ends in one record.

- killed (no warning), then the sweep relaunched: the rerun resumes from the cell's checkpoint;
- ``scancel --signal=USR1`` (what Slurm sends before a time limit or on preemption): submitit
  requeues the job itself, and the sweep finishes without a relaunch;
- ``scontrol requeue`` (Slurm's preemption with PreemptMode=REQUEUE: SIGTERM, then requeued):
  the job ends and comes back, and the sweep finishes without a relaunch;
- a time limit (shortened mid-training with ``scontrol update``): Slurm sends USR1 ahead of it,
  submitit counts a time-out and requeues the job, which resumes;
- slurm/array.sbatch (no Hydra launcher): USR1 to the batch shell requeues the task, which resumes.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from strikebench.results import store
from tests.helpers.run_if import RunIf
from tests.helpers.slurm import accounted_state, queue_state, run_quiet, submitit_job, wait_on_job, wait_until_finished

# The tests wait on the job's state (tests/helpers/slurm.py), however long it queues on a busy
# cluster, and find it by its id, never by its name.
pytestmark = [pytest.mark.slurm, RunIf(slurm=True)]


ARRAY_SBATCH = Path(__file__).resolve().parents[2] / "slurm" / "array.sbatch"
TRAINING = ["model=bpr", "strike.participation=0", "trainer.max_epochs=12", "trainer.patience=12"]


def sweep_command(results, partition, training=tuple(TRAINING)):
    return [sys.executable, "-m", "strikebench", "-m", "hydra/launcher=slurm_cpu", "hydra.launcher.cpus_per_task=1",
            "hydra.launcher.mem_gb=1", f"hydra.launcher.partition={partition}", *training, f"results_dir={results}"]


def first_checkpoint(results):
    return list(results.glob(".work/*/incumbent/checkpoints/last.ckpt"))


def interrupt_mid_training(results, partition, cwd, command: list[str]):
    """Start the sweep, wait for its first epoch checkpoint, run ``command + [job]``; the sweep's output.

    Returns (return code, output, job id) once the sweep command has ended by itself.
    """
    sweep = subprocess.Popen(sweep_command(results, partition), cwd=cwd,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        job = submitit_job(results, sweep)
        wait_on_job(job, lambda: first_checkpoint(results), "a checkpoint")
        done = run_quiet([*command, job])
        assert done.returncode == 0, done.stderr
        output, _ = sweep.communicate()  # the sweep command waits on its job itself
    finally:
        if sweep.poll() is None:
            sweep.kill()
    return sweep.returncode, output, job


def restarts(job: str) -> int:
    """How often Slurm requeued ``job`` (it stays in scontrol's memory for MinJobAge, 300 s)."""
    shown = run_quiet(["scontrol", "show", "job", job]).stdout
    return int(shown.split("Restarts=")[1].split()[0])


def assert_one_resumed_record(results):
    (record,) = list(store.iter_records(results))
    assert record["companies"]["incumbent"]["training"]["resumed_from_epoch"] is not None
    assert len(list(store.cells_dir(results).iterdir())) == 1 and not (results / "previous").exists()
    assert not list(results.glob(".work/*"))  # checkpoints cleaned up after success
    return record


@pytest.mark.heavy
def test_usr1_makes_the_job_requeue_itself_and_resume(slurm_partition, tmp_path):
    results = tmp_path / "results"
    rc, output, job = interrupt_mid_training(results, slurm_partition, tmp_path,
                                             ["scancel", "--signal=USR1"])
    assert rc == 0, output[-3000:]  # no relaunch: the requeued job finished the sweep
    assert restarts(job) >= 1
    assert_one_resumed_record(results)
    # A time limit sends the same signal (signal_delay_s before it), to the same handler.
    (script,) = results.glob("sweeps/*/.submitit/*/*_submission.sh")
    assert "#SBATCH --signal=USR1@120" in script.read_text()


def test_slurm_requeue_sigterm_ends_the_job_which_comes_back_and_resumes(slurm_partition, tmp_path):
    results = tmp_path / "results"
    rc, output, job = interrupt_mid_training(results, slurm_partition, tmp_path, ["scontrol", "requeue"])
    assert rc == 0, output[-3000:]
    assert restarts(job) >= 1
    assert_one_resumed_record(results)


@pytest.mark.heavy
def test_time_limit_signal_counts_a_timeout_requeues_and_resumes(slurm_partition, tmp_path):
    results = tmp_path / "results"
    # Slurm checks time limits every 30 s: train long enough (about 40 s here) to be caught mid-training.
    training = ["model=bpr", "strike.participation=0", "trainer.max_epochs=120", "trainer.patience=120",
                "hydra.launcher.timeout_min=10"]
    sweep = subprocess.Popen(sweep_command(results, slurm_partition, training), cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        job = submitit_job(results, sweep)
        wait_on_job(job, lambda: first_checkpoint(results), "a checkpoint")
        # One minute left: inside signal_delay_s (120 s), so Slurm's next time-limit check sends USR1.
        shortened = run_quiet(["scontrol", "update", f"JobId={job}", "TimeLimit=1"])
        assert shortened.returncode == 0, shortened.stderr
        wait_on_job(job, lambda: restarts(job) >= 1 and queue_state(job) == "PENDING", "the job to be requeued")
        # The requeued run gets its full time back, as a resubmission would.
        restored = run_quiet(["scontrol", "update", f"JobId={job}", "TimeLimit=10"])
        assert restored.returncode == 0, restored.stderr
        output, _ = sweep.communicate()
    finally:
        if sweep.poll() is None:
            sweep.kill()
    assert sweep.returncode == 0, output[-3000:]
    (log,) = results.glob("sweeps/*/.submitit/*/*_0_log.out")
    assert "this job is timed-out" in log.read_text()
    assert "(2 remaining timeouts)" in log.read_text()  # max_num_timeout 3, one spent
    assert_one_resumed_record(results)


def test_killed_job_relaunched_resumes_from_its_checkpoint(slurm_partition, tmp_path):
    results = tmp_path / "results"
    # killed mid-training, no time to clean up
    rc, output, _ = interrupt_mid_training(results, slurm_partition, tmp_path, ["scancel", "--signal=KILL"])
    assert rc != 0, output[-2000:]
    assert not list(store.iter_records(results))  # the killed cell left no record ...
    assert first_checkpoint(results)  # ... but its checkpoint

    again = subprocess.run(sweep_command(results, slurm_partition), cwd=tmp_path, capture_output=True, text=True,
                           timeout=900)
    assert again.returncode == 0, again.stderr[-3000:]
    assert_one_resumed_record(results)


def test_array_sbatch_task_requeues_itself_on_usr1_and_resumes(slurm_partition, tmp_path, request):
    results = tmp_path / "results"
    (tmp_path / "cells.txt").write_text(" ".join([*TRAINING, f"results_dir={results}"]) + "\n")
    path = f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"  # this environment's `strikebench`
    submit = run_quiet(["sbatch", "--parsable", "--array=0-0", f"--export=ALL,CELLS=cells.txt,PATH={path}",
                        f"--partition={slurm_partition}", "--cpus-per-task=1", "--mem=1G", "--time=30",
                        f"--output={tmp_path}/slurm-%A_%a.out", str(ARRAY_SBATCH)], cwd=tmp_path)
    assert submit.returncode == 0, submit.stderr
    task = f"{submit.stdout.strip().split(';')[0]}_0"
    request.addfinalizer(lambda: run_quiet(["scancel", task]))  # no-op once finished
    wait_on_job(task, lambda: first_checkpoint(results), "a checkpoint")
    # What Slurm sends 120 s before the time limit (#SBATCH --signal=B:USR1@120): to the batch shell.
    signalled = run_quiet(["scancel", "--batch", "--signal=USR1", task])
    assert signalled.returncode == 0, signalled.stderr

    state = wait_until_finished(task, lambda job: {job: accounted_state(job)})[task]
    (log,) = tmp_path.glob("slurm-*.out")
    assert state == "COMPLETED", log.read_text()[-3000:]
    assert "USR1 (time limit near), requeueing" in log.read_text()
    assert "(restart 1)" in log.read_text()
    assert_one_resumed_record(results)
