"""Where the Hydra config tree lives: the package ``strikebench.conf``.

The repository keeps the configs in its top-level ``conf/``; pyproject.toml (setup.py) installs
that folder as the package ``strikebench.conf``, so a wheel carries the YAML files and an editable
install reads the repository's own. Hydra finds them as ``pkg://strikebench.conf`` from any
working directory.
"""
from __future__ import annotations

import importlib.util
from contextlib import AbstractContextManager
from importlib import resources
from pathlib import Path

CONF_PACKAGE = "strikebench.conf"


def _installed() -> bool:
    try:
        return importlib.util.find_spec(CONF_PACKAGE) is not None
    except ImportError:
        return False


if _installed():
    CONF_SOURCE = f"pkg://{CONF_PACKAGE}"  # hydra.main's config_path
    # A real folder (pip installs wheels unpacked): for the code that reads one YAML file directly.
    CONF_DIR = Path(str(resources.files(CONF_PACKAGE)))
else:  # a checkout imported from its folder, or an editable install made before conf/ was packaged
    CONF_DIR = Path(__file__).resolve().parents[2] / "conf"
    CONF_SOURCE = str(CONF_DIR)


def config_options(group: str) -> list[str]:
    """The option names of a config group, e.g. ``config_options("model")``."""
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


def config_context() -> AbstractContextManager:
    """``with config_context(): compose("config", overrides)``, as the command line composes."""
    from hydra import initialize_config_dir, initialize_config_module

    if CONF_SOURCE.startswith("pkg://"):
        return initialize_config_module(CONF_PACKAGE, version_base="1.3")
    return initialize_config_dir(CONF_SOURCE, version_base="1.3")
