"""A strikebench cell that pauses after its second epoch until a file appears (tests/app/test_cell_lock.py).

    python tests/paused_cell.py PAUSED GO KEY=VALUE ...

After epoch index 1 (its checkpoint is saved) it creates PAUSED and waits for GO, so a test can
start a second job, kill this one or signal it while it holds the cell. SIGTERM (Slurm's
preemption) goes to Lightning, which stops the fit after the current step and exits; SIGUSR1 ends
it the way submitit ends a Slurm job it requeues (its signal handler exits the process).
"""
from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

from strikebench.app.cli import main
from strikebench.training.module import RecBoleModule


def requeued(signum, frame):
    raise SystemExit(f"requeued on signal {signum}")


if __name__ == "__main__":
    paused, go = Path(sys.argv[1]), Path(sys.argv[2])

    def pause_after_epoch_two(self):
        if self.current_epoch == 1:  # the checkpoint of epoch index 1 is already saved
            paused.touch()
            # Lightning's own SIGTERM handler only marks the trainer; it stops at the next step
            while not go.exists() and not self.trainer.received_sigterm:
                time.sleep(0.05)

    RecBoleModule.on_train_epoch_end = pause_after_epoch_two
    signal.signal(signal.SIGUSR1, requeued)
    sys.exit(main(sys.argv[3:]))
