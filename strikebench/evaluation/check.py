"""Check the ``eval`` section and ``trainer.monitor`` of a cell's config before anything is loaded."""
from __future__ import annotations

from strikebench.errors import ConfigError
from strikebench.evaluation.metrics import METRICS
from strikebench.results.study import MASKS


def check_eval(eval_cfg, monitor: str, has_ratings: bool = True) -> None:
    """Positive cut-offs, known metrics, a known history mask, optional sampled and rating metrics
    the dataset allows, and a ``metric@k`` to monitor on the validation data."""
    mask = eval_cfg.get("mask")
    if mask not in MASKS:
        raise ConfigError("eval.mask", f"unknown history mask {mask!r}", ", ".join(MASKS))
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
