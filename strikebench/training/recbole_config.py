"""Translate a cell's strikebench config into RecBole's Config for one company's model."""
from __future__ import annotations

from strikebench import compat
from strikebench.config.plain import to_plain


def recbole_config_dict(cfg, device: str) -> dict:
    """Everything RecBole needs to know, from the strikebench config of one cell."""
    model = cfg.model
    settings = dict(to_plain(cfg.dataset.recbole))
    settings.update(to_plain(model.get("params") or {}))
    settings.update(
        seed=int(cfg.seed),
        reproducibility=True,
        device=device,
        use_gpu=device.startswith("cuda"),
        show_progress=False,
        learning_rate=float(model.learning_rate),
        weight_decay=float(model.get("weight_decay") or 0.0),
        train_batch_size=int(model.train_batch_size),
        train_neg_sample_args=to_plain(model.get("neg_sampling")),
        metric_decimal_place=10,
        checkpoint_dir=str(cfg.get("work_dir", "checkpoints")),
        log_wandb=False,
        worker=0,
    )
    return settings


def recbole_config(cfg, dataset_name: str, device: str):
    """RecBole's Config of the cell's model on ``dataset_name`` (shims in force, clean argv)."""
    return compat.recbole_config(cfg.model.name, dataset_name, recbole_config_dict(cfg, device))
