"""The parts of a cell's training that its config names by ``_target_``, built with Hydra:
the user's Lightning callbacks (conf/callbacks/, ``+callbacks.NAME._target_=...``) and the
tracker (conf/logger/: none for ``logger=local``, a W&B run for ``logger=wandb``)."""
from __future__ import annotations

from hydra.utils import instantiate
from omegaconf import OmegaConf

from strikebench.errors import ConfigError, StrikebenchError
from strikebench.tracking import NoTracking
from strikebench.tracking.wandb_mode import one_line

EXAMPLE = "+callbacks.lr_monitor._target_=lightning.pytorch.callbacks.LearningRateMonitor"


def callbacks_of(cfg) -> list:
    """Fresh callbacks for one company's Trainer (a callback keeps state across a fit)."""
    section = cfg.get("callbacks") or {}
    return [_callback(f"callbacks.{name}", node) for name, node in section.items()]


def tracking_of(cfg, sweep: str | None = None):
    """The cell's tracker, built from ``logger._target_`` (NoTracking without one); ``sweep``:
    the name of the sweep the cell runs in, if any (W&B's default group)."""
    node = cfg.get("logger")
    if node is None or "_target_" not in node:
        return NoTracking()
    return _build("logger", node, sweep=sweep)


def check_lightning_parts(cfg) -> None:
    """Build the callbacks and the tracker once, before any data is loaded: a ``_target_`` that
    cannot be imported or built stops the cell with its field named."""
    callbacks = callbacks_of(cfg)
    tracking = tracking_of(cfg)
    if callbacks and isinstance(tracking, NoTracking):  # (no callbacks: Lightning stays unimported)
        from lightning.pytorch.callbacks import DeviceStatsMonitor, LearningRateMonitor

        for name, callback in zip(cfg.get("callbacks") or {}, callbacks):
            if isinstance(callback, (LearningRateMonitor, DeviceStatsMonitor)):
                raise ConfigError(f"callbacks.{name}", f"{type(callback).__name__} logs to a Lightning logger, "
                                  "and logger=local has none", "logger=wandb")


def _callback(field: str, node):
    import lightning as L

    if not OmegaConf.is_dict(node) or "_target_" not in node:
        raise ConfigError(field, "a callback needs a _target_ (its class)", f"e.g. {EXAMPLE}")
    callback = _build(field, node)
    if not isinstance(callback, L.Callback):
        raise ConfigError(f"{field}._target_", f"{node._target_} is not a Lightning callback",
                          "a subclass of lightning.pytorch.Callback")
    return callback


def _build(field: str, node, **kwargs):
    try:
        return instantiate(node, **kwargs)
    except Exception as exc:  # noqa: BLE001 - Hydra wraps import and constructor errors alike
        cause = exc.__cause__ or exc
        if isinstance(cause, StrikebenchError):
            raise cause from None
        raise ConfigError(f"{field}._target_", f"cannot build {node.get('_target_')!r}: {one_line(cause)}") from None
