"""Check the model and trainer sections of a cell's config before anything is loaded, naming the
field at fault. Each rule about training is stated here once; config validation calls these in
order, and training asks the same functions when it is called directly."""
from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache

from strikebench.errors import ConfigError
from strikebench.training.distributed import STRATEGIES, strategy_of
from strikebench.config.plain import to_plain
from strikebench.training.models import has_gradient_step, is_sequential, model_kind

SUPPORTED_MODEL_TYPES = ("GENERAL", "TRADITIONAL", "SEQUENTIAL")
DATA_PATHS = ("auto", "recbole", "fast")


def check_model(model_cfg, split_cfg, shipped_models: Sequence[str]) -> None:
    """``model``: a known class of a supported type, a positive learning rate and batch size, and a
    split it can learn from. ``shipped_models``: the configs in conf/model, named in the messages."""
    name = model_cfg.get("name")
    allowed = ", ".join(shipped_models)
    try:
        kind = model_kind(str(name))[0]
    except ValueError:
        raise ConfigError("model.name", f"unknown model {name!r}",
                          f"a config in conf/model ({allowed}), or the dotted path of a RecBole-style class") from None
    if kind not in SUPPORTED_MODEL_TYPES:
        raise ConfigError("model.name", f"{name} is a {kind or '?'} model, not supported yet",
                          f"general, traditional or sequential recommenders: {allowed}")
    for field in ("learning_rate", "train_batch_size"):
        value = model_cfg.get(field)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ConfigError(f"model.{field}", f"must be a positive number, got {value!r}")
    check_split_for(str(name), split_cfg)


def check_split_for(model_name: str, split_cfg) -> None:
    """Sequential models learn from time-ordered sequences: they need a time-ordered split, and
    one split serves every model of a study (docs/design.md rule 1)."""
    if is_sequential(model_name) and split_cfg.get("order") != "TO":
        raise ConfigError(
            "split.order",
            f"{model_name} is a sequential model and needs a time-ordered split, got {split_cfg.get('order')!r}",
            "split=sequential (TO, leave-one-out) for every model of the sweep",
        )


def data_path_of(trainer_cfg) -> str:
    """``trainer.data_path`` as written; configs written before the option existed mean RecBole's loader."""
    return str(trainer_cfg.get("data_path") or "recbole")


def resolved_data_path(trainer_cfg, model_cfg) -> str:
    """The loader that trains the model: ``recbole`` or ``fast``.

    ``auto`` (the default) is ``fast`` where the fast path reproduces RecBole's batches and
    negatives (``fast_coverage.refusal``: general models, uniform or no negative sampling, no
    features) for a model trained by gradient steps on one device; ``recbole`` otherwise.
    Models without gradient steps (Pop, ItemKNN, EASE) fit in one pass, where the loader changes
    neither the time nor the result, so they keep RecBole's loader and their cell keys.
    """
    data_path = data_path_of(trainer_cfg)
    if data_path != "auto":
        return data_path
    name = str(model_cfg.name)
    if strategy_of(trainer_cfg) != "auto" or not has_gradient_step(name):
        return "recbole"
    return "recbole" if fast_refusal(model_cfg) else "fast"


def fast_refusal(model_cfg) -> str | None:
    """Why the fast path cannot train ``model`` with its ``neg_sampling``, or None when it can."""
    return _fast_refusal(str(model_cfg.name), json.dumps(to_plain(model_cfg.get("neg_sampling")), sort_keys=True))


@lru_cache(maxsize=None)  # a sweep asks once per model and sampling, not once per cell
def _fast_refusal(name: str, neg_sampling_json: str) -> str | None:
    from strikebench.training.fast_coverage import refusal

    return refusal(*model_kind(name), _train_neg_sample_args(json.loads(neg_sampling_json)))


def check_trainer(trainer_cfg, model_cfg) -> None:
    """``trainer``: a data path that can train the model, and a strategy with its devices."""
    _check_data_path(trainer_cfg, model_cfg)
    _check_strategy(trainer_cfg)
    _check_precision(trainer_cfg)
    from strikebench.training.stacked.config import check as check_stack  # not at import: stacked needs this module

    check_stack(trainer_cfg)


def _check_precision(trainer_cfg) -> None:
    """``trainer.precision``: null (Lightning's 32-true) or a value Lightning's Trainer accepts."""
    value = trainer_cfg.get("precision")
    if value is None:  # Lightning's default: no need to import Lightning to ask it
        return
    from typing import get_args

    from lightning.fabric.plugins.precision import precision as lightning_precision

    allowed = [*get_args(lightning_precision._PRECISION_INPUT_STR), *get_args(lightning_precision._PRECISION_INPUT_STR_ALIAS)]
    if str(value) not in allowed:
        raise ConfigError("trainer.precision", f"unknown precision {value!r}", f"null, {', '.join(allowed)}")


def _check_data_path(trainer_cfg, model_cfg) -> None:
    """trainer.data_path=fast covers general models with uniform or no negative sampling."""
    data_path = data_path_of(trainer_cfg)
    if data_path not in DATA_PATHS:
        raise ConfigError("trainer.data_path", f"unknown data path {data_path!r}", ", ".join(DATA_PATHS))
    if data_path == "fast":
        reason = fast_refusal(model_cfg)
        if reason:
            raise ConfigError("trainer.data_path", f"the fast path cannot train {model_cfg.name}: {reason}",
                              "auto or recbole; fast for general models with uniform or no negative sampling")


def _train_neg_sample_args(neg_sampling) -> dict:
    """``model.neg_sampling`` as RecBole's Config completes it into ``train_neg_sample_args``."""
    if neg_sampling is None or neg_sampling.get("distribution", "uniform") in (None, "None"):
        return {"distribution": "none", "dynamic": False}
    return {"distribution": "uniform", "dynamic": False, **neg_sampling}


def _check_strategy(trainer_cfg) -> None:
    """One device, or Lightning DDP over ``trainer.devices`` processes (conf/trainer/ddp.yaml)."""
    strategy, devices = strategy_of(trainer_cfg), trainer_cfg.devices
    if strategy not in STRATEGIES:
        raise ConfigError("trainer.strategy", f"unknown strategy {strategy!r}", ", ".join(STRATEGIES))
    if not isinstance(devices, int) or isinstance(devices, bool) or devices < 1:
        raise ConfigError("trainer.devices", f"must be a positive integer, got {devices!r}")
    if strategy == "auto" and devices != 1:
        raise ConfigError("trainer.devices", f"{devices} devices need trainer.strategy=ddp (trainer=ddp)", "1")
    if strategy == "ddp" and data_path_of(trainer_cfg) == "fast":
        raise ConfigError("trainer.data_path", "the fast path is not tested under trainer.strategy=ddp",
                          "auto (RecBole's loader under ddp) or recbole")
