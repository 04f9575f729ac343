"""Where the Hydra config tree lives: the repository's top-level ``conf/``."""
from pathlib import Path

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"


def config_options(group: str) -> list[str]:
    """The option names of a config group, e.g. ``config_options("model")``."""
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))
