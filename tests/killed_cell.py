"""A strikebench cell whose process dies in the middle of an epoch, as one killed by the machine
(out of memory, a node lost, SIGKILL) does: no exception, no clean-up (tests/training/test_resume.py).

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
    train_batch, batches = RecBoleModule._train_batch, []

    def dying_batch(self, batch):
        # A Lightning step runs a whole epoch (module.epoch_loader): count the epoch's batches here.
        if self.current_epoch == epoch:
            batches.append(1)
            if len(batches) == 2:
                os._exit(KILLED)
        train_batch(self, batch)

    RecBoleModule._train_batch = dying_batch
    sys.exit(main(sys.argv[2:]))
