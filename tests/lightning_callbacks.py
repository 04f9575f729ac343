"""A user's Lightning callback, as ``+callbacks.NAME._target_=tests.lightning_callbacks.Seen`` adds one."""
from __future__ import annotations

import json
from pathlib import Path

import lightning as L


class Seen(L.Callback):
    """Writes what it saw of each fit to ``path`` (one JSON line per company): the epochs it was
    called for, the Trainer's precision and its callbacks in order."""

    def __init__(self, path: str):
        self.path = Path(path)
        self.epochs: list[int] = []

    def on_train_epoch_end(self, trainer, pl_module):
        self.epochs.append(int(trainer.current_epoch))

    def on_fit_end(self, trainer, pl_module):
        seen = {"epochs": self.epochs, "precision": str(trainer.precision),
                "callbacks": [type(c).__name__ for c in trainer.callbacks]}
        with self.path.open("a") as fh:
            fh.write(json.dumps(seen) + "\n")
