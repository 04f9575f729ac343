"""Paired tests between two models or cells, paired by seed and user (per-user table).

Side A and side B are selections of the per-user table (``{column: value}``). Rows are paired on
``pair_on`` (default seed and user): d_k = a_k - b_k for every pair k with both values present.

The users of one seed share one participant draw and one trained model, so the (seed, user)
pairs are not independent: the replicates are the seeds (``uncertainty.py``). So:

- per seed s: dbar_s = mean of d_k over its users; the estimate is mean_s dbar_s;
- paired t-test: a one-sample t-test of the dbar_s against 0 (n_seeds - 1 degrees of freedom);
- Wilcoxon signed-rank test of the dbar_s (zero differences dropped, ``scipy.stats.wilcoxon``);
- p-values only with at least 3 seeds, else NaN and ``reason`` says so;
- interval: hierarchical bootstrap (seeds, then users within seeds; default) or the t-interval
  over the dbar_s (``ci="t"``); ``ci_method`` says which.

Both sides must come from one study. When ``pair_on`` leaves out the seed (comparing different
draws user by user), side A's seed is the replicate.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from strikebench.analysis.studies import require_one_study
from strikebench.analysis.table import PER_USER_KEYS, SEED, STUDY, USER, ResultsTableError, as_per_user
from strikebench.analysis.uncertainty import few_seeds_reason, hierarchical_bootstrap, seed_t_interval


@dataclass(frozen=True)
class PairedTestResult:
    """Outcome of :func:`paired_test`; differences are A - B, replicates are seeds."""

    n: int
    n_seeds: int
    mean_difference: float
    ci_low: float
    ci_high: float
    ci_method: str
    t_statistic: float
    t_pvalue: float
    wilcoxon_statistic: float
    wilcoxon_pvalue: float
    reason: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class PairedComparison:
    """Side A against side B on ``metric``, paired on ``pair_on``.

    ``where`` filters both sides (e.g. ``{"dataset": "ml-100k", "participation": 0.3}``); ``a`` and
    ``b`` add each side's own filter (e.g. ``{"model": "BPR"}`` / ``{"model": "Pop"}``).
    """

    metric: str
    a: Mapping[str, object]
    b: Mapping[str, object]
    where: Mapping[str, object] | None = None
    pair_on: Sequence[str] = ("seed", USER)


def _select(df: pd.DataFrame, where: Mapping[str, object], side: str) -> pd.DataFrame:
    mask = np.ones(len(df), dtype=bool)
    for column, value in where.items():
        if column not in df.columns:
            raise ResultsTableError(column, f"unknown column in selection {side}")
        if column == "participation":
            mask &= np.isclose(df[column].to_numpy(float), float(value), rtol=0, atol=1e-12)
        else:
            mask &= (df[column] == value).to_numpy()
    out = df[mask]
    if out.empty:
        raise ResultsTableError(None, f"selection {side} {dict(where)} matches no rows")
    return out


def paired_differences_per_user(per_user: pd.DataFrame, comparison: PairedComparison) -> pd.DataFrame:
    """Pairs of side A and side B on ``comparison.pair_on`` with d = a - b (NaN pairs dropped).

    Each side must have one row per ``pair_on`` key, else the selection is ambiguous and an error
    says so; sides from different studies are refused. Returns ``pair_on + [seed, a, b,
    difference]``.
    """
    metric = comparison.metric
    per_user = as_per_user(per_user, [metric])
    pair_on = list(comparison.pair_on)
    base = _select(per_user, comparison.where, "where") if comparison.where else per_user
    sides = []
    for name, selection in (("a", comparison.a), ("b", comparison.b)):
        side = _select(base, selection, name)
        dup = side.duplicated(pair_on)
        if dup.any():
            varying = [c for c in PER_USER_KEYS if c not in pair_on and side[c].nunique() > 1]
            raise ResultsTableError(
                None, f"selection {name} has several rows per {pair_on}; narrow it on {varying}")
        sides.append(side[list(dict.fromkeys(pair_on + [SEED, STUDY]))+ [metric]].rename(columns={metric: name}))
    require_one_study(pd.concat(sides), "a paired test")
    # the replicate of a pair is its seed (side A's when the seed is not paired on)
    keep = list(dict.fromkeys(pair_on + [SEED, "a"]))
    pairs = sides[0][keep].merge(sides[1][pair_on + ["b"]], on=pair_on, how="inner").dropna(subset=["a", "b"])
    pairs["difference"] = pairs["a"] - pairs["b"]
    return pairs.reset_index(drop=True)


def paired_test(per_user: pd.DataFrame, comparison: PairedComparison, alternative: str = "two-sided",
                ci: str = "bootstrap", confidence: float = 0.95, random_state: int = 0) -> PairedTestResult:
    """Paired t-test and Wilcoxon signed-rank test of side A against side B over seeds.

    dbar_s = mean over seed s's pairs of a_k - b_k; mean_difference = mean_s dbar_s; t = mean(dbar)
    / (sd(dbar) / sqrt(n_seeds)) (scipy ``ttest_1samp``); W from scipy ``wilcoxon`` on the dbar_s
    (zeros dropped). Statistics and p-values are NaN with fewer than 3 seeds (``reason``), the
    Wilcoxon ones also when every dbar_s is zero, the t ones when all are equal (zero variance).
    CI: ``ci="bootstrap"`` (hierarchical, seeds then users; ``random_state`` fixes it) or
    ``ci="t"`` (t-interval over the dbar_s).
    """
    if ci not in ("bootstrap", "t"):
        raise ValueError(f"ci must be 'bootstrap' or 't', got {ci!r}")
    pairs = paired_differences_per_user(per_user, comparison)
    per_seed = pairs.groupby(SEED, sort=True)["difference"].mean().to_numpy(float)
    n_seeds = len(per_seed)
    if ci == "t":
        mean, low, high, method = seed_t_interval(per_seed, confidence)
    else:
        mean, low, high, method = hierarchical_bootstrap(pairs, "difference", SEED, confidence,
                                                         random_state=random_state)
    t_stat = t_p = w_stat = w_p = float("nan")
    reason = few_seeds_reason(n_seeds)
    if not reason:
        with np.errstate(divide="ignore", invalid="ignore"):
            t = stats.ttest_1samp(per_seed, 0.0, alternative=alternative)
        if np.isfinite(t.statistic):
            t_stat, t_p = float(t.statistic), float(t.pvalue)
        if np.any(per_seed != 0):
            w = stats.wilcoxon(per_seed, zero_method="wilcox", alternative=alternative)
            w_stat, w_p = float(w.statistic), float(w.pvalue)
    return PairedTestResult(len(pairs), n_seeds, mean, low, high, method, t_stat, t_p, w_stat, w_p, reason)
