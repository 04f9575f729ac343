"""The local Slurm cluster (slurm/setup_local_cluster.sh) as the Slurm tests see it.

The tests wait on job state, not on wall-clock deadlines: a job that is queued behind others on a
busy cluster is waited for; one that ended without doing what was awaited fails at once with
its final state. ``LIMIT`` only stops a test that would otherwise hang forever. Jobs are found
by their ids (from sbatch, or from the folder submitit names after the job), never by name:
another user's job may share it.
"""
from __future__ import annotations

import functools
import shutil
import subprocess
import time
from pathlib import Path

import pytest

SLURM_COMMANDS = ("sbatch", "sinfo", "squeue", "scancel", "sacct", "scontrol")
USABLE_NODE_STATES = {"idle", "mix", "mixed", "alloc", "allocated", "comp", "completing"}
TERMINAL_STATES = {
    "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL",
    "BOOT_FAIL", "DEADLINE", "PREEMPTED", "REVOKED",
}
LIMIT = 3600  # seconds: a backstop against a hang, far beyond any queueing the tests expect
POLL = 1.0


def run_quiet(cmd: list[str], timeout: float = 30, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)


@functools.lru_cache(maxsize=1)
def slurm_status() -> tuple[str | None, str | None]:
    """(problem, default partition): problem is None when the cluster is usable."""
    missing = [c for c in SLURM_COMMANDS if shutil.which(c) is None]
    if missing:
        return f"Slurm commands not on PATH: {', '.join(missing)}", None
    try:
        info = run_quiet(["sinfo", "-h", "-o", "%P %t"])
        if info.returncode != 0:
            return f"sinfo failed (cluster not up?): {info.stderr.strip()}", None
        partition, usable = None, False
        for line in info.stdout.splitlines():
            name, state = line.split()
            if name.endswith("*"):  # sinfo marks the default partition with '*'
                name = name[:-1]
                partition = partition or name
            usable |= state in USABLE_NODE_STATES
        if not usable:
            return f"no node is usable (sinfo: {info.stdout.strip()!r})", None
        acct = run_quiet(["sacct", "-n", "-X", "-S", "now-1minutes"])
        if acct.returncode != 0:
            return f"accounting not working, sacct failed: {acct.stderr.strip()}", None
    except subprocess.TimeoutExpired as e:
        return f"{e.cmd[0]} timed out (controller unreachable?)", None
    if partition is None:
        partition = info.stdout.split()[0].rstrip("*")
    return None, partition


def queue_state(job: str) -> str:
    """The job's state while Slurm's queue holds it (PENDING, RUNNING, ...), else ''."""
    return run_quiet(["squeue", "-h", "-j", job, "-o", "%T"]).stdout.strip()


def accounted_state(job: str) -> str:
    """The job's last state in the accounting (first word of sacct's State), '' if none yet."""
    lines = run_quiet(["sacct", "-j", job, "-X", "-n", "-P", "-o", "State"]).stdout.split("\n")
    states = [line.split()[0] for line in lines if line.strip()]
    return states[-1] if states else ""


def wait_on_job(job: str, predicate, what: str):
    """Poll ``predicate`` while ``job`` is queued or running; its first truthy value.

    Fails as soon as the job has left the queue without ``predicate`` holding (saying its final
    state), or after ``LIMIT`` seconds as a last resort.
    """
    deadline = time.monotonic() + LIMIT
    while True:
        found = predicate()
        if found:
            return found
        if not queue_state(job):
            found = predicate()  # it may have come true as the job ended
            if found:
                return found
            pytest.fail(f"job {job} ended ({accounted_state(job) or 'no state yet'}) before {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"job {job} still {queue_state(job)} after {LIMIT} s, waiting for {what}")
        time.sleep(POLL)


def wait_until_finished(job: str, states_of) -> dict[str, str]:
    """Wait for ``job`` (and its array tasks) to leave the queue; ``states_of(job)`` once all are final."""
    def final():
        states = states_of(job)
        return not queue_state(job) and states and all(s in TERMINAL_STATES for s in states.values()) and states

    deadline = time.monotonic() + LIMIT
    while not (states := final()):
        if time.monotonic() > deadline:
            pytest.fail(f"job {job} not finished after {LIMIT} s: {states_of(job)}")
        time.sleep(POLL)
    return states


def submitit_job(results: Path, sweep: subprocess.Popen) -> str:
    """The id of the one job a Hydra submitit sweep into ``results`` submitted (from the folder
    submitit names after it), waiting for the submission while the sweep command runs."""
    deadline = time.monotonic() + LIMIT
    while True:
        jobs = [p.name for p in results.glob("sweeps/*/.submitit/*") if list(p.glob("*_submitted.pkl"))]
        if jobs:
            assert len(jobs) == 1, f"expected the sweep's one job, found {jobs}"
            return jobs[0]
        if sweep.poll() is not None or time.monotonic() > deadline:
            output = sweep.stdout.read() if sweep.stdout else ""
            pytest.fail(f"the sweep submitted no job (exit {sweep.poll()}): {output[-3000:]}")
        time.sleep(POLL)
