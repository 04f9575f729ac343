"""Where the Hydra config tree lives: the package ``strikebench.conf``.

The repository keeps the configs in its top-level ``conf/``; pyproject.toml installs that folder as
the package ``strikebench.conf``, so a wheel carries the YAML files and an editable install reads
the repository's own. Hydra finds them as ``pkg://strikebench.conf`` from any working directory.
"""
from __future__ import annotations

from contextlib import AbstractContextManager
from importlib import resources
from pathlib import Path

CONF_PACKAGE = "strikebench.conf"
CONF_SOURCE = f"pkg://{CONF_PACKAGE}"  # hydra.main's config_path
# A real folder (pip installs wheels unpacked): for the code that reads one YAML file directly.
CONF_DIR = Path(str(resources.files(CONF_PACKAGE)))


def config_options(group: str) -> list[str]:
    """The option names of a config group, e.g. ``config_options("model")``."""
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


def config_context() -> AbstractContextManager:
    """``with config_context(): compose("config", overrides)``, as the command line composes."""
    from hydra import initialize_config_module

    return initialize_config_module(CONF_PACKAGE, version_base="1.3")
