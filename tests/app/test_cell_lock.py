"""One process trains a cell (strikebench.app.cell_lock): concurrent jobs, a kill, a requeue.

The first job is a real ``strikebench`` process (tests/paused_cell.py) that holds the cell's
lock and pauses after its second epoch; the second job runs in this process.
"""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from strikebench.app.cell import run_cell
from strikebench.app.cell_lock import LOCK_FILE, CellLock, is_held
from strikebench.app.cli import main
from strikebench.app.plan import status_main
from strikebench.results import failures, store

HELPER = Path(__file__).parents[1] / "paused_cell.py"
CELL = ["model=bpr", "strike.participation=0.1", "trainer.max_epochs=3", "trainer.patience=10"]


# --- the lock itself ---------------------------------------------------------------------------

def test_a_second_lock_on_a_held_cell_is_refused_until_the_first_lets_go(tmp_path):
    first, second = CellLock(tmp_path / "cell"), CellLock(tmp_path / "cell")
    assert first.acquire(wait=False)
    assert is_held(tmp_path / "cell")
    assert not second.acquire(wait=False)
    assert first.owner() == f"pid {os.getpid()} on {os.uname().nodename}"
    first.release()
    assert not is_held(tmp_path / "cell")
    assert not (tmp_path / "cell").exists()  # nothing but the lock was there: removed
    assert second.acquire(wait=False)
    second.release()


def test_a_waiting_job_takes_the_lock_when_the_holder_removes_it(tmp_path):
    """The holder deletes the lock file as it lets go; the waiter must lock the file now there,
    not the deleted one (else a third job could hold a new file at the same time)."""
    first, second = CellLock(tmp_path / "cell"), CellLock(tmp_path / "cell")
    assert first.acquire(wait=False)
    got = []
    waiter = threading.Thread(target=lambda: got.append(second.acquire(wait=True)))
    waiter.start()
    time.sleep(0.2)  # let it block (the assertion below does not depend on it)
    first.release()
    waiter.join(timeout=30)
    assert got == [True] and (tmp_path / "cell" / LOCK_FILE).is_file()
    third = CellLock(tmp_path / "cell")
    assert not third.acquire(wait=False)  # the waiter's lock is the one on the file in place
    second.release()


def test_work_with_checkpoints_is_kept_when_the_lock_is_released(tmp_path):
    lock = CellLock(tmp_path / "cell")
    assert lock.acquire(wait=False)
    (tmp_path / "cell" / "incumbent").mkdir()
    lock.release()
    assert (tmp_path / "cell" / "incumbent").is_dir()


def test_an_unknown_lock_mode_stops_before_training(tmp_path, capsys):
    assert main(["model=pop", "lock=sometimes", f"results_dir={tmp_path}"]) == 2
    err = capsys.readouterr().err
    assert "lock: unknown value 'sometimes' (allowed: skip, wait)" in err
    assert not (tmp_path / ".work").exists() and not (tmp_path / "cells").exists()


# --- two jobs on one BPR cell --------------------------------------------------------------------

def start_paused(tmp_path: Path, overrides: list[str]) -> tuple[subprocess.Popen, Path]:
    """Start the first job and return once it holds the cell, paused after its second epoch."""
    paused, go = tmp_path / "paused", tmp_path / "go"
    job = subprocess.Popen([sys.executable, str(HELPER), str(paused), str(go), *overrides], cwd=tmp_path,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 600  # a safety net against a hung job, not a timing assertion
    while not paused.exists() and job.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert paused.exists(), job.communicate()[0][-3000:] if job.poll() is not None else "no pause"
    return job, go


def snapshot(folder: Path) -> dict[str, tuple[int, str]]:
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def cell(tmp_path):
    results = tmp_path / "results"
    return [*CELL, f"results_dir={results}"], results


def one_record_no_failure(results: Path) -> dict:
    (record,) = list(store.iter_records(results))
    assert failures.read_failures(results) == {}
    assert not (results / ".work" / record["cell_key"]).exists()  # checkpoints and lock cleaned up
    return record


@pytest.mark.slow
def test_a_second_job_on_a_running_cell_moves_on_without_touching_it(tmp_path, cell, capsys):
    overrides, results = cell
    first, go = start_paused(tmp_path, overrides)
    (work,) = (results / ".work").iterdir()
    assert (work / "incumbent" / "checkpoints" / "last.ckpt").is_file() and is_held(work)
    before = snapshot(work)

    assert main(overrides) == 0  # lock=skip, the default
    out = capsys.readouterr().out
    assert f"[running elsewhere] BPR strike p=0.1 seed=0: held by pid {first.pid} on" in out
    assert snapshot(work) == before  # its checkpoints untouched
    assert not list(store.iter_records(results)) and failures.read_failures(results) == {}

    assert status_main([str(results)]) == 0  # counted as running, neither done nor failed
    status = capsys.readouterr().out
    assert "0 done, 1 running, 0 failed" in status and f"running {work.name}" in status

    go.touch()
    assert first.wait(timeout=600) == 0, first.communicate()[0][-3000:]
    record = one_record_no_failure(results)
    assert record["cell_key"] == work.name
    assert record["companies"]["incumbent"]["training"]["resumed_from_epoch"] is None


@pytest.mark.slow
def test_with_lock_wait_the_second_job_waits_and_reuses_the_record(tmp_path, cell, compose_cfg):
    overrides, results = cell
    first, go = start_paused(tmp_path, overrides)
    outcomes, cfg = [], compose_cfg([*overrides, "lock=wait"], results)
    second = threading.Thread(target=lambda: outcomes.append(run_cell(cfg, log=lambda m: None)))
    second.start()
    second.join(timeout=2)
    assert second.is_alive()  # blocked on the lock while the first job trains
    go.touch()
    assert first.wait(timeout=600) == 0, first.communicate()[0][-3000:]
    second.join(timeout=600)
    (outcome,) = outcomes
    assert not outcome.ran and outcome.running_elsewhere is None
    assert outcome.record == one_record_no_failure(results)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["kill -9", "requeue SIGTERM", "requeue SIGUSR1"])
def test_a_cell_whose_job_died_resumes_from_its_checkpoint(tmp_path, cell, capsys, how):
    """kill -9, or Slurm's requeue: SIGTERM (preemption) or submitit's USR1 handler exiting the job."""
    overrides, results = cell
    first, _ = start_paused(tmp_path, overrides)
    (work,) = (results / ".work").iterdir()
    first.send_signal({"kill -9": signal.SIGKILL, "requeue SIGTERM": signal.SIGTERM,
                       "requeue SIGUSR1": signal.SIGUSR1}[how])
    first.wait(timeout=120)  # (Lightning's SIGTERM exit is a SystemExit without a code: status 0)
    assert not is_held(work) and not list(store.iter_records(results))
    # (Lightning stops a SIGTERM'd fit after the step it is in, so its last checkpoint may be later)
    saved_epoch = torch.load(work / "incumbent" / "checkpoints" / "last.ckpt", weights_only=True)["epoch"]

    assert main(overrides) == 0  # the relaunched or requeued job gets the lock
    assert "[done] BPR" in capsys.readouterr().out
    record = one_record_no_failure(results)
    assert record["companies"]["incumbent"]["training"]["resumed_from_epoch"] == saved_epoch
    assert record["companies"]["incumbent"]["training"]["epochs"] == 3
