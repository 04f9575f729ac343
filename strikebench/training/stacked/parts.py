"""The few pieces of the one-cell training code a stacked group reuses, in one place.

The one-cell code is being split into single-purpose modules (training/scoring.py,
training/recbole_config.py); until that lands on every branch, both layouts are accepted here
so that nothing else in this package depends on where they live.
"""
from __future__ import annotations

from strikebench import compat
from strikebench.training.fit import FitResult

try:  # the split layout
    from strikebench.training.recbole_config import recbole_config as _config_of
    from strikebench.training.scoring import score_function
except ImportError:  # the single recbole_bridge module
    from strikebench.training.recbole_bridge import recbole_config_dict, score_function

    def _config_of(cfg, dataset_name: str, device: str):
        return compat.recbole_config(cfg.model.name, dataset_name, recbole_config_dict(cfg, device))

__all__ = ["FitResult", "recbole_config", "score_function"]


def recbole_config(cfg, dataset_name: str, device: str):
    """RecBole's Config of the group's shared cell config (model, dataset settings, device)."""
    return _config_of(cfg, dataset_name, device)
