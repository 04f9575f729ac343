"""A strikebench cell whose process dies in the middle of an epoch, as one killed by the machine
(out of memory, a node lost, SIGKILL) does: no exception, no clean-up (tests/test_resume.py).

    python tests/killed_cell.py EPOCH KEY=VALUE ...

The process exits with code 137 at the second training batch of epoch index EPOCH, so the last
checkpoint on disk is the one of epoch EPOCH - 1.
"""
from __future__ import annotations

import os
import sys

from strikebench.app.cli import main
from strikebench.training.module import RecBoleModule

KILLED = 137  # 128 + SIGKILL, what a shell reports for a killed process

if __name__ == "__main__":
    epoch = int(sys.argv[1])
    training_step = RecBoleModule.training_step

    def dying_step(self, batch, batch_idx):
        if self.current_epoch == epoch and batch_idx == 1:
            os._exit(KILLED)
        return training_step(self, batch, batch_idx)

    RecBoleModule.training_step = dying_step
    sys.exit(main(sys.argv[2:]))
