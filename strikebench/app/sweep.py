"""Expand a command line into its cells, as Hydra's basic sweeper would, and check each one.

Used before a sweep starts, so that a bad value in any cell stops the sweep before any training,
and by ``strikebench plan``.
"""
from __future__ import annotations

from hydra import compose
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from strikebench.app.usage import config_groups
from strikebench.config.paths import config_context
from strikebench.errors import ConfigError

# `strikebench run --help` lists the groups a user picks from (hydra.help.template in conf/config.yaml)
OmegaConf.register_new_resolver("strikebench.config_groups", config_groups, replace=True)


def _base(parser, overrides: list[str]):
    """The sweep's config before its swept values, with the ``hydra`` node (sweeper, launcher)."""
    parsed = parser.parse_overrides(overrides)
    plain = [o.input_line for o in parsed if not o.is_sweep_override()]
    with config_context():
        return compose("config", overrides=plain, return_hydra_config=True)


def expand(overrides: list[str]) -> list[list[str]]:
    """The override list of every cell of ``strikebench -m <overrides>``."""
    parser = OverridesParser.create()
    try:
        base = _base(parser, overrides)
        params_node = base.hydra.sweeper.get("params")
        params = OmegaConf.to_container(params_node, resolve=False) if params_node else {}
        every = parser.parse_overrides([f"{k}={v}" for k, v in params.items()] + list(overrides))
        return BasicSweeper.split_arguments(every, None)[0]
    except (HydraException, OmegaConfBaseException) as exc:
        raise ConfigError("command line", _first_line(exc)) from None


def launcher(overrides: list[str]) -> dict:
    """The launcher ``strikebench -m <overrides>`` runs its cells with: target and tasks per node."""
    try:
        node = _base(OverridesParser.create(), overrides).hydra.launcher
        return {"target": str(node.get("_target_", "")), "tasks_per_node": node.get("tasks_per_node")}
    except (HydraException, OmegaConfBaseException) as exc:
        raise ConfigError("hydra.launcher", _first_line(exc)) from None


def runs_on_slurm(launcher_info: dict) -> bool:
    return "slurm" in launcher_info["target"].lower()


def compose_cell(overrides: list[str]):
    """The resolved config of one cell."""
    try:
        with config_context():
            return compose("config", overrides=list(overrides))
    except (HydraException, OmegaConfBaseException) as exc:
        raise ConfigError("command line", _first_line(exc)) from None


def config_repository():
    """Hydra's view of the config tree: which override keys name config groups."""
    with config_context():
        return GlobalHydra.instance().hydra.config_loader.repository


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    # Hydra's "Could not find 'model/foo'" is followed by the available options: keep them.
    return " ".join(line.strip() for line in text.splitlines() if line.strip())
