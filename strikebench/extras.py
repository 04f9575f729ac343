"""Optional features and the pip extra that installs each (pyproject.toml's optional dependencies).

A command that needs a missing extra stops before any work with one line naming the extra, e.g.
``logger=wandb needs the wandb extra: pip install 'strikebench[wandb]'``.
"""
from __future__ import annotations

import importlib
import importlib.util

from strikebench.errors import StrikebenchError

EXTRAS = {
    "wandb": ("wandb",),
    "slurm": ("submitit", "hydra_plugins.hydra_submitit_launcher"),
}


class MissingExtra(StrikebenchError):
    """A feature was asked for whose packages are not installed."""

    def __init__(self, feature: str, extra: str):
        self.extra = extra
        super().__init__(f"{feature} needs the {extra} extra: pip install 'strikebench[{extra}]'")


def installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a missing parent package, or a module blocked in sys.modules
        return False


def require(extra: str, feature: str) -> None:
    """Raise MissingExtra unless every module of ``extra`` can be imported."""
    if not all(installed(module) for module in EXTRAS[extra]):
        raise MissingExtra(feature, extra)


def load(extra: str, feature: str):
    """The extra's first module (e.g. ``wandb``), imported; MissingExtra if it is not installed."""
    require(extra, feature)
    return importlib.import_module(EXTRAS[extra][0])
