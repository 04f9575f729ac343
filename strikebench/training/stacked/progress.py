"""Each cell's early stopping and best epoch, as Lightning's EarlyStopping and ModelCheckpoint
(``mode="max"``, ``save_top_k=1``) decide them for one cell trained alone.

A validation improves when it is strictly above the best so far (the first one always does);
after ``patience`` validations in a row without improvement, the cell stops. A value that is
not finite stops the cell at once (EarlyStopping's ``check_finite``) and is never the best.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

FIELDS = ("epochs", "best_epoch", "best_valid", "wait", "stopped")


@dataclass
class CellProgress:
    epochs: int = 0  # epochs trained
    best_epoch: int | None = None  # 0-based, as Lightning's checkpoint "epoch"
    best_valid: float | None = None
    wait: int = 0  # validations since the last improvement
    stopped: bool = False

    def validated(self, epoch: int, value: float, patience: int) -> bool:
        """Take the validation ``value`` after ``epoch``; True when it is the new best."""
        if not math.isfinite(value):
            self.stopped = True
            return False
        if self.best_valid is None or value > self.best_valid:
            self.best_valid, self.best_epoch, self.wait = float(value), int(epoch), 0
            return True
        self.wait += 1
        self.stopped = self.wait >= patience
        return False


def to_tensor(progress: list[CellProgress]) -> torch.Tensor:
    """[cells, 5] float64 (None as NaN): a checkpoint holds tensors only."""
    rows = [[p.epochs, -1 if p.best_epoch is None else p.best_epoch,
             math.nan if p.best_valid is None else p.best_valid, p.wait, float(p.stopped)] for p in progress]
    return torch.tensor(rows, dtype=torch.float64).view(len(progress), len(FIELDS))


def from_tensor(table: torch.Tensor) -> list[CellProgress]:
    out = []
    for epochs, best_epoch, best_valid, wait, stopped in table.tolist():
        out.append(CellProgress(int(epochs), None if best_epoch < 0 else int(best_epoch),
                                None if math.isnan(best_valid) else best_valid, int(wait), bool(stopped)))
    return out
