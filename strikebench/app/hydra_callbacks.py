"""Hydra callbacks of the app layer (conf/config.yaml ``hydra.callbacks``)."""
from __future__ import annotations

from pathlib import Path

from hydra.experimental.callback import Callback

from strikebench.app.plan import write_sweep_plan


class SweepPlan(Callback):
    """When a ``-m`` sweep starts, its checked cells go into its folder as cells.json (for ``status``)."""

    def on_multirun_start(self, config, **kwargs) -> None:
        write_sweep_plan(Path(str(config.hydra.sweep.dir)))
