"""What long work shows while it runs: a line per finished cell of a sweep, the pre-sweep check's
progress, and a cell's progress bar, which only a terminal gets (logs stay quiet)."""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field

from strikebench.errors import ConfigError

PROGRESS_BAR_VALUES = ("auto", True, False)
SWEEP_SIZE_ENV = "STRIKEBENCH_SWEEP_CELLS"  # read by cells that a launcher runs in other processes
CHECK_LINE_EVERY_S = 10.0  # the pre-sweep check's line interval when stderr is not a terminal


def duration(seconds: float) -> str:
    """``0.4 s``, ``12 s``, ``4 min``, ``22 min``, ``1.5 h``."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def progress_line(k: int, n: int | None, cell: str, seconds: float | None, elapsed: float | None = None,
                  eta: float | None = None) -> str:
    """``[k/N] BPR strike p=0.1 seed=3  done in 12 s · elapsed 4 min · ETA 22 min``.

    ``seconds`` None: the cell was done before (reused). Parts that are not known are left out."""
    parts = ["reused" if seconds is None else f"done in {duration(seconds)}"]
    if elapsed is not None:
        parts.append(f"elapsed {duration(elapsed)}")
    if eta is not None:
        parts.append(f"ETA {duration(eta)}")
    return f"[{k}/{n if n is not None else '?'}] {cell}  " + " · ".join(parts)


@dataclass
class SweepClock:
    """A sweep run in this process (Hydra's basic launcher): elapsed time, and the ETA from the
    mean time of the cells run so far times the cells still to run."""

    cells: int
    to_run: int  # cells not done before the sweep started
    started: float = field(default_factory=time.perf_counter)
    ran: int = 0
    ran_seconds: float = 0.0

    def finished(self, k: int, cell: str, seconds: float | None, now: float | None = None) -> str:
        """The k-th cell's line; ``seconds`` None for a cell done before (reused)."""
        if seconds is not None:
            self.ran += 1
            self.ran_seconds += seconds
        eta = self.ran_seconds / self.ran * max(self.to_run - self.ran, 0) if self.ran else None
        now = time.perf_counter() if now is None else now
        return progress_line(k, self.cells, cell, seconds, now - self.started, eta)


_CLOCK: SweepClock | None = None


def start_sweep(cells: int, to_run: int) -> None:
    """Called by the pre-sweep check, just before Hydra launches the cells."""
    global _CLOCK
    _CLOCK = SweepClock(cells, to_run)
    os.environ[SWEEP_SIZE_ENV] = str(cells)


def single_cell() -> None:
    global _CLOCK
    _CLOCK = None
    os.environ.pop(SWEEP_SIZE_ENV, None)


def cell_finished(k: int, cell: str, seconds: float | None) -> str:
    """The line for the k-th cell of a sweep. Cells run in another process (submitit) know their
    number and the sweep's size only: no elapsed time or ETA there."""
    if _CLOCK is not None:
        return _CLOCK.finished(k, cell, seconds)
    size = os.environ.get(SWEEP_SIZE_ENV)
    return progress_line(k, int(size) if size and size.isdigit() else None, cell, seconds)


def checking(cells: list, stream=None):
    """Iterate over ``cells`` while showing the check's progress: a bar on a terminal, a line
    every few seconds in a log."""
    stream = stream or sys.stderr
    if stream.isatty():
        from tqdm import tqdm

        yield from tqdm(cells, desc="checking", unit="cell", file=stream, leave=False)
        return
    started = last = time.perf_counter()
    for k, cell in enumerate(cells, 1):
        yield cell
        now = time.perf_counter()
        if now - last >= CHECK_LINE_EVERY_S and k < len(cells):
            print(f"strikebench: checked {k}/{len(cells)} cells ({duration(now - started)})", file=stream)
            last = now


def progress_mode(cfg) -> bool:
    """Whether a cell shows Lightning's progress bar: ``trainer.progress_bar`` true or false, or
    ``auto`` (the default): only when the output goes to a terminal, never into a log file."""
    value = cfg.trainer.get("progress_bar", "auto")
    if value not in PROGRESS_BAR_VALUES or (isinstance(value, int) and not isinstance(value, bool)):
        raise ConfigError("trainer.progress_bar", f"got {value!r}", "auto, true, false")
    return sys.stdout.isatty() if value == "auto" else value
