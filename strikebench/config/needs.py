"""The extras a command line needs, checked before Hydra composes or launches anything.

Hydra cannot even compose ``hydra/launcher=slurm`` without the submitit plugin, so the launcher
is read from the overrides and from the preset files in conf/hydra/launcher/.
"""
from __future__ import annotations

import yaml

from strikebench.config.paths import CONF_DIR
from strikebench.extras import require


def check_command_line(overrides: list[str]) -> None:
    """Raise MissingExtra for ``logger=wandb`` or a submitit launcher whose extra is not installed."""
    for override in overrides:
        key, _, value = override.lstrip("+~").partition("=")
        choices = [v.strip() for v in value.split(",")]  # a sweep over options: logger=local,wandb
        if key == "logger" and "wandb" in choices:
            require("wandb", "logger=wandb")
        if key == "hydra/launcher" and any(launcher_uses_submitit(c) for c in choices):
            require("slurm", f"hydra/launcher={value}")


def launcher_uses_submitit(name: str, seen: tuple[str, ...] = ()) -> bool:
    """True for submitit's launchers and for presets whose defaults lead to one (slurm_cpu -> slurm)."""
    if name.startswith("submitit_"):
        return True
    path = CONF_DIR / "hydra" / "launcher" / f"{name}.yaml"
    if name in seen or not path.is_file():
        return False
    defaults = (yaml.safe_load(path.read_text()) or {}).get("defaults") or []
    return any(isinstance(d, str) and launcher_uses_submitit(d, (*seen, name)) for d in defaults)
