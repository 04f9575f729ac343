"""Report and leaderboard settings: conf/analysis/default.yaml, overridden by command-line flags."""
from __future__ import annotations

from omegaconf import OmegaConf

from strikebench.config.paths import CONF_DIR
from strikebench.config.plain import to_plain

ANALYSIS_CONFIG = CONF_DIR / "analysis" / "default.yaml"


def analysis_settings(**overrides) -> dict:
    """The settings as a plain dict; ``overrides`` that are not None replace top-level keys."""
    settings = to_plain(OmegaConf.load(ANALYSIS_CONFIG))
    settings.update({k: v for k, v in overrides.items() if v is not None})
    return settings
