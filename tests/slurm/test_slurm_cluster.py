"""End-to-end checks against a real Slurm cluster (slurm/setup_local_cluster.sh).

* slurm/array.sbatch runs line N (0-based) of the cell list for array task N;
* a submitit job that is scancel'ed is reported as failed promptly instead of
  `result()` hanging (needs Slurm accounting: submitit polls sacct).

Without a usable cluster these tests SKIP with the reason, except under
CI=true, where a missing cluster is an error: CI is supposed to start it.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import in_ci as _in_ci
from tests.helpers.run_if import RunIf
from tests.helpers.slurm import queue_state, wait_on_job, wait_until_finished
from tests.helpers.slurm import run_quiet as _run

pytestmark = [pytest.mark.slurm, RunIf(slurm=True)]

REPO = Path(__file__).resolve().parents[2]
ARRAY_SBATCH = REPO / "slurm" / "array.sbatch"


def _sacct_states(job_id: str) -> dict[str, str]:
    """{'123_0': 'COMPLETED', ...} for the array tasks of job_id (first word of State). Only task
    rows count: a cluster restarted with its accounting kept can hold an older job of the same id."""
    out = _run(["sacct", "-j", job_id, "-X", "-n", "-P", "-o", "JobID,State"])
    states = {}
    for line in out.stdout.splitlines():
        if "|" in line:
            jid, state = line.split("|", 1)
            if jid.startswith(f"{job_id}_") and "[" not in jid:
                states[jid] = state.split()[0] if state.strip() else ""
    return states


def test_array_sbatch_runs_one_cell_per_task(slurm_partition, tmp_path, request):
    # A stub `strikebench` that records its arguments, one per line, per task.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub = bin_dir / "strikebench"
    stub.write_text(
        "#!/bin/sh\n"
        f'out="{tmp_path}/task_$SLURM_ARRAY_TASK_ID.args"\n'
        'for a in "$@"; do printf "%s\\n" "$a"; done > "$out"\n'
    )
    stub.chmod(0o755)
    cells = [
        "model=bpr strike.participation=0.3 seed=1",
        "model=pop strike.participation=[0.1,0.5] seed=2",
    ]
    (tmp_path / "cells.txt").write_text("\n".join(cells) + "\n")
    # If the template globbed, [0.1,0.5] would expand to this file's name.
    (tmp_path / "strike.participation=1").touch()

    path = f"{bin_dir}:{os.environ.get('PATH', '')}"
    assert "," not in path, "sbatch --export splits on commas; PATH must not contain one"
    # The documented usage, with resources small enough for a CI runner.
    submit = _run(
        [
            "sbatch", "--parsable",
            f"--array=0-{len(cells) - 1}",
            f"--export=ALL,CELLS=cells.txt,PATH={path}",
            f"--partition={slurm_partition}",
            "--cpus-per-task=1", "--mem=100M", "--time=5",
            f"--output={tmp_path}/slurm-%A_%a.out",
            str(ARRAY_SBATCH),
        ],
        cwd=tmp_path,
    )
    assert submit.returncode == 0, submit.stderr
    job_id = submit.stdout.strip().split(";")[0]
    request.addfinalizer(lambda: _run(["scancel", job_id]))  # no-op once finished

    expected = {f"{job_id}_{i}" for i in range(len(cells))}
    # However long the tasks queue on a busy cluster: until every task has left the queue.
    states = wait_until_finished(job_id, _sacct_states)
    assert set(states) == expected, states

    logs = {p.name: p.read_text() for p in tmp_path.glob("slurm-*.out")}
    assert states == dict.fromkeys(expected, "COMPLETED"), logs
    for i, line in enumerate(cells):
        args = (tmp_path / f"task_{i}.args").read_text().splitlines()
        assert args == line.split(), f"task {i} ran {args}, expected line {i}: {line!r}"


def test_submitit_reports_scancelled_job_as_failed(slurm_partition, tmp_path, request):
    try:
        import submitit
    except ImportError as e:  # a project dependency: only tolerated outside CI
        if _in_ci():
            raise
        pytest.skip(f"submitit not installed: {e}")

    executor = submitit.AutoExecutor(folder=tmp_path / "submitit", cluster="slurm")
    executor.update_parameters(
        slurm_partition=slurm_partition, timeout_min=5, cpus_per_task=1, mem_gb=0.2
    )
    job = executor.submit(time.sleep, 600)
    request.addfinalizer(lambda: _run(["scancel", str(job.job_id)]))

    wait_on_job(str(job.job_id), lambda: queue_state(str(job.job_id)) == "RUNNING", "it ran")

    cancel = _run(["scancel", str(job.job_id)])
    assert cancel.returncode == 0, cancel.stderr

    # result() must raise, not hang. submitit itself waits up to 15 s for a result file after
    # Slurm says the job ended; the limit below only tells a hang from a slow answer.
    outcome: dict[str, BaseException] = {}

    def wait_result() -> None:
        try:
            job.result()
        except BaseException as e:  # noqa: BLE001 - recorded and checked below
            outcome["error"] = e

    waiter = threading.Thread(target=wait_result, daemon=True)
    started = time.monotonic()
    waiter.start()
    waiter.join(timeout=600)
    assert not waiter.is_alive(), (
        f"submitit still waiting for cancelled job {job.job_id} after 600 s "
        f"(state {job.state!r}); is Slurm accounting (sacct) working?"
    )
    assert isinstance(outcome.get("error"), submitit.core.utils.UncompletedJobError), outcome
    assert job.state.startswith("CANCELLED"), job.state
    assert job.done()
    print(f"cancelled job reported after {time.monotonic() - started:.1f} s")
