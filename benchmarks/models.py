"""Model settings for both pipelines, read from strikebench's own model configs (conf/model/)."""
from __future__ import annotations

from omegaconf import OmegaConf

from strikebench.config.paths import CONF_DIR

MODELS = ("bpr", "lightgcn", "multivae", "sasrec")
SEQUENTIAL = ("sasrec",)


def _model_cfg(name: str):
    return OmegaConf.load(CONF_DIR / "model" / f"{name}.yaml")


def model_class(name: str) -> str:
    return str(_model_cfg(name).name)


def model_settings(name: str) -> dict:
    """The RecBole settings strikebench's model config gives (as training.recbole_config.recbole_config_dict)."""
    cfg = _model_cfg(name)
    settings = dict(OmegaConf.to_container(cfg.get("params") or {}, resolve=True))
    neg = cfg.get("neg_sampling")
    settings.update(
        learning_rate=float(cfg.learning_rate),
        weight_decay=float(cfg.get("weight_decay") or 0.0),
        train_neg_sample_args=OmegaConf.to_container(neg, resolve=True) if neg is not None else None,
    )
    return settings
