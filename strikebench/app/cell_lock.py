"""One process trains a cell: an OS file lock on ``<work_dir>/<key>/lock``.

Two jobs on one cell (a sweep relaunched while a requeued job still runs) would share its
checkpoints: the second resumes from the first one's files and the first then crashes on a
checkpoint that was replaced. So the job that trains a cell holds an exclusive ``fcntl.flock`` on
the cell's lock file. The kernel releases it when the process ends, however it ends (kill -9, a
Slurm preemption or requeue), so the next job always gets it and resumes from the checkpoint.

``lock=skip`` (the default): a job that finds the cell locked reports "running elsewhere" and
moves on without touching the cell. ``lock=wait``: it waits for the lock, then reuses the record
the other job stored. Only rank 0 of a data-parallel cell locks (the other ranks are its helpers).
"""
from __future__ import annotations

import fcntl
import os
import socket
import time
from pathlib import Path

from strikebench.errors import ConfigError

LOCK_FILE = "lock"
MODES = ("skip", "wait")
# `strikebench status` probes locks for an instant; a job that starts at that moment tries again.
_TRIES, _PAUSE_S = 5, 0.05


def lock_mode(cfg) -> str:
    """``cfg.lock``, checked: what a job does when another one holds the cell."""
    mode = cfg.get("lock", "skip")
    if mode not in MODES:
        raise ConfigError("lock", f"unknown value {mode!r}", ", ".join(MODES))
    return str(mode)


class CellLock:
    """The lock of the cell whose work folder is ``work_dir``; a context manager that releases it."""

    def __init__(self, work_dir):
        self.path = Path(work_dir) / LOCK_FILE
        self._fd: int | None = None

    def acquire(self, wait: bool) -> bool:
        """Take the lock (blocking if ``wait``); False when another process holds it."""
        while True:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            if not _flock(fd, wait):
                os.close(fd)
                return False
            if _same_file(fd, self.path):
                break
            os.close(fd)  # its holder removed the file as it let go: lock the one there now
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode())
        self._fd = fd
        return True

    def owner(self) -> str:
        """Who holds the lock, as its holder wrote it (``pid N on HOST``)."""
        try:
            return self.path.read_text(encoding="utf-8").strip() or "another process"
        except OSError:
            return "another process"

    def release(self) -> None:
        """Let the lock go. A work folder left with nothing but the lock (the cell is stored, or
        stopped before training) is removed; one with checkpoints is kept for the next job."""
        if self._fd is None:
            return
        if [p.name for p in self.path.parent.iterdir()] == [LOCK_FILE]:
            self.path.unlink(missing_ok=True)  # a job waiting on it sees that and locks afresh
            try:
                self.path.parent.rmdir()
            except OSError:  # another job created something there meanwhile: leave it
                pass
        os.close(self._fd)  # closing the descriptor releases the flock
        self._fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()
        return False


def _flock(fd: int, wait: bool) -> bool:
    for attempt in range(1 if wait else _TRIES):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            return True
        except BlockingIOError:
            if attempt < _TRIES - 1:
                time.sleep(_PAUSE_S)
    return False


def _same_file(fd: int, path: Path) -> bool:
    """Whether ``fd`` is still the file at ``path`` (not one its last holder removed)."""
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


def is_held(work_dir) -> bool:
    """Whether a live process holds the lock of the cell in ``work_dir`` (for ``status``)."""
    path = Path(work_dir) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def take_lock(lock: CellLock, mode: str, key: str, log) -> bool:
    """Whether this job now owns the cell; with ``lock=wait`` it waits for the job that does."""
    if lock.acquire(wait=False):
        return True
    if mode == "skip":
        return False
    log(f"cell {key} is running elsewhere ({lock.owner()}): waiting for it (lock=wait)")
    return lock.acquire(wait=True)
