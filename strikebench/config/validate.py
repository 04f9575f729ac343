"""Check a cell's config before anything is loaded or trained, naming the field at fault."""
from __future__ import annotations

from strikebench.config.paths import config_options
from strikebench.data.split import validate_split_config
from strikebench.errors import ConfigError
from strikebench.extras import require
from strikebench.evaluation.metrics import METRICS
from strikebench.levers.build import check_strike_config

SUPPORTED_MODEL_TYPES = ("GENERAL", "TRADITIONAL", "SEQUENTIAL")
DATASET_SOURCES = ("bundled", "download", "manual", "synthetic")


def validate(cfg) -> None:
    _participation(cfg.strike.get("participation"))
    _model(cfg.model, cfg.split)
    check_strike_config(cfg.strike, cfg.split)  # selector and lever fields, before any data is loaded
    if cfg.dataset.get("source") not in DATASET_SOURCES:
        raise ConfigError("dataset.source", f"unknown source {cfg.dataset.get('source')!r}", ", ".join(DATASET_SOURCES))
    validate_split_config(cfg.split)
    _eval(cfg.eval, cfg.trainer.monitor, bool(cfg.dataset.get("has_ratings", True)))
    if not isinstance(cfg.seed, int) or isinstance(cfg.seed, bool):
        raise ConfigError("seed", f"must be an integer, got {cfg.seed!r}")
    _data_path(cfg)
    _strategy(cfg)
    if cfg.get("logger") is not None and cfg.logger.get("name") == "wandb":
        require("wandb", "logger=wandb")


def _strategy(cfg) -> None:
    """One device, or Lightning DDP over ``trainer.devices`` processes (conf/trainer/ddp.yaml)."""
    from strikebench.training.distributed import STRATEGIES, strategy_of

    strategy, devices = strategy_of(cfg.trainer), cfg.trainer.devices
    if strategy not in STRATEGIES:
        raise ConfigError("trainer.strategy", f"unknown strategy {strategy!r}", ", ".join(STRATEGIES))
    if not isinstance(devices, int) or isinstance(devices, bool) or devices < 1:
        raise ConfigError("trainer.devices", f"must be a positive integer, got {devices!r}")
    if strategy == "auto" and devices != 1:
        raise ConfigError("trainer.devices", f"{devices} devices need trainer.strategy=ddp (trainer=ddp)", "1")
    if strategy == "ddp" and str(cfg.trainer.get("data_path") or "recbole") != "recbole":
        raise ConfigError("trainer.data_path", "the fast path is not tested under trainer.strategy=ddp", "recbole")


def _data_path(cfg) -> None:
    """trainer.data_path=fast covers general models with uniform or no negative sampling."""
    data_path = str(cfg.trainer.get("data_path") or "recbole")
    if data_path not in ("recbole", "fast"):
        raise ConfigError("trainer.data_path", f"unknown data path {data_path!r}", "recbole, fast")
    if data_path == "fast":
        from recbole.utils import get_model

        model_type = getattr(get_model(str(cfg.model.name)), "type", None)
        negatives = cfg.model.get("neg_sampling") or {}
        if getattr(model_type, "name", "") not in ("GENERAL", "TRADITIONAL") or negatives.get("dynamic") or \
                negatives.get("distribution", "uniform") != "uniform":
            raise ConfigError("trainer.data_path", f"the fast path cannot train {cfg.model.name} with this sampling",
                              "recbole; fast for general models with uniform or no negative sampling")


def _participation(p) -> None:
    if isinstance(p, bool) or not isinstance(p, (int, float)):
        raise ConfigError("strike.participation", f"must be a number, got {p!r}", "0 <= p <= 1")
    if not 0.0 <= float(p) <= 1.0:
        raise ConfigError("strike.participation", f"{p} is outside [0, 1]", "0 <= p <= 1")


def _model(model_cfg, split_cfg=None) -> None:
    from omegaconf import OmegaConf

    from strikebench import compat

    name = model_cfg.get("name")
    allowed = ", ".join(config_options("model"))
    try:
        model_class = compat.model_class(str(name))
    except ValueError:
        raise ConfigError("model.name", f"unknown model {name!r}",
                          f"a config in conf/model ({allowed}), or the dotted path of a RecBole-style class") from None
    model_type = getattr(model_class, "type", None)
    if getattr(model_type, "name", None) not in SUPPORTED_MODEL_TYPES:
        raise ConfigError("model.name", f"{name} is a {getattr(model_type, 'name', '?')} model, not supported yet",
                          f"general, traditional or sequential recommenders: {allowed}")
    for field in ("learning_rate", "train_batch_size"):
        value = model_cfg.get(field)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ConfigError(f"model.{field}", f"must be a positive number, got {value!r}")
    if split_cfg is None and OmegaConf.is_config(model_cfg):
        split_cfg = OmegaConf.select(model_cfg._get_root(), "split", default=None)
    if getattr(model_type, "name", None) == "SEQUENTIAL" and split_cfg is not None and split_cfg.get("order") != "TO":
        # DESIGN rule 1: sequential models need a time-ordered split, and one split per study.
        raise ConfigError("split.order", f"{name} is a sequential model and needs a time-ordered split, "
                          f"got {split_cfg.get('order')!r}", "split=sequential (TO, leave-one-out) for every model of the sweep")


def _eval(eval_cfg, monitor: str, has_ratings: bool = True) -> None:
    negatives = eval_cfg.get("sampled_negatives")
    if negatives is not None and (isinstance(negatives, bool) or not isinstance(negatives, int) or negatives <= 0):
        raise ConfigError("eval.sampled_negatives", f"must be null or a positive integer, got {negatives!r}", "null, e.g. 99")
    if eval_cfg.get("rating_metrics") and not has_ratings:
        raise ConfigError("eval.rating_metrics", "this dataset has no ratings (dataset.has_ratings is false)", "false")
    ks = list(eval_cfg.ks)
    if not ks or not all(isinstance(k, int) and not isinstance(k, bool) and k > 0 for k in ks):
        raise ConfigError("eval.ks", f"need positive integers, got {ks}")
    unknown = [m for m in eval_cfg.metrics if m not in METRICS]
    if unknown:
        raise ConfigError("eval.metrics", f"unknown metrics {unknown}", ", ".join(METRICS))
    metric, _, k = str(monitor).partition("@")
    if metric not in METRICS or not k.isdigit() or int(k) <= 0:
        raise ConfigError("trainer.monitor", f"{monitor!r} is not a metric@k", f"e.g. ndcg@10; metrics: {', '.join(METRICS)}")
