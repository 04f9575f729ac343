"""Uncertainty that respects the design: seeds are the replicates, users are nested in them.

A seed is one participant draw (and model initialisation); the users of one seed share one
trained model, so they are not independent of each other. Intervals and tests therefore resample
or count *seeds*:

- ``seed_t_interval``: the Student-t interval over per-seed values (n = seeds).
- ``hierarchical_bootstrap``: resample seeds with replacement, then users with replacement
  within each drawn seed; the statistic is the mean over the drawn seeds of the mean over their
  drawn users. The interval is the (1-c)/2 and (1+c)/2 percentiles of the resampled statistic.
  Both levels of variation (which participants were drawn, which users were tested) enter.
- ``MIN_SEEDS_FOR_P``: a p-value needs at least 3 seeds (2 replicates give a t-test with one
  degree of freedom and a Wilcoxon test that can never reach 0.05); fewer give NaN and
  :data:`REASON_FEW_SEEDS`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from strikebench.analysis.aggregate import T_OVER_SEEDS, t_interval

MIN_SEEDS_FOR_P = 3
HIERARCHICAL_BOOTSTRAP = "hierarchical bootstrap (seeds, then users within seeds)"
N_RESAMPLES = 2000
_CHUNK = 4_000_000  # user draws per chunk


def few_seeds_reason(n_seeds: int) -> str:
    """The reason a p-value is missing with ``n_seeds`` seeds ("" when there are enough)."""
    if n_seeds >= MIN_SEEDS_FOR_P:
        return ""
    return f"p-values need at least {MIN_SEEDS_FOR_P} seeds (have {n_seeds})"


def seed_t_interval(per_seed: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float, str]:
    """(mean, low, high, method) of per-seed values: mean +/- t_{(1+c)/2, n-1} sd / sqrt(n)."""
    mean, low, high, _ = t_interval(per_seed, confidence)
    return mean, low, high, T_OVER_SEEDS


def _user_means(values: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """``n_resamples`` means of ``values`` drawn with replacement (in chunks: big seeds stay small in memory)."""
    chunk = max(1, _CHUNK // max(len(values), 1))
    return np.concatenate([values[rng.integers(0, len(values), size=(min(chunk, n_resamples - i), len(values)))]
                           .mean(axis=1) for i in range(0, n_resamples, chunk)])


def hierarchical_bootstrap(frame: pd.DataFrame, value: str, seed: str = "seed", confidence: float = 0.95,
                           n_resamples: int = N_RESAMPLES, random_state: int = 0
                           ) -> tuple[float, float, float, str]:
    """(estimate, low, high, method) of the mean over seeds of the per-seed mean of ``value``.

    ``frame`` holds one row per (seed, user). The estimate is the mean over seeds of the per-seed
    means (each seed weighs the same, as each is one replicate). Resampling as in the module
    docstring, ``n_resamples`` times with ``numpy.random.default_rng(random_state)``. Fewer than
    two seeds give NaN bounds: one draw says nothing about another draw.
    """
    frame = frame[[seed, value]].dropna()
    groups = [g[value].to_numpy(float) for _, g in frame.groupby(seed, sort=True)]
    if not groups:
        return float("nan"), float("nan"), float("nan"), HIERARCHICAL_BOOTSTRAP
    estimate = float(np.mean([g.mean() for g in groups]))
    if len(groups) < 2:
        return estimate, float("nan"), float("nan"), HIERARCHICAL_BOOTSTRAP
    rng = np.random.default_rng(random_state)
    resampled = np.column_stack([_user_means(g, n_resamples, rng) for g in groups])
    drawn = rng.integers(0, len(groups), size=(n_resamples, len(groups)))
    stats = np.take_along_axis(resampled, drawn, axis=1).mean(axis=1)
    low, high = np.quantile(stats, [(1 - confidence) / 2, (1 + confidence) / 2])
    return estimate, float(low), float(high), HIERARCHICAL_BOOTSTRAP


__all__ = [
    "HIERARCHICAL_BOOTSTRAP", "MIN_SEEDS_FOR_P", "few_seeds_reason", "hierarchical_bootstrap", "seed_t_interval",
]
