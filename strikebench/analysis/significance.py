"""Paired tests between two models or cells, paired by seed and user (per-user table).

Side A and side B are selections of the per-user table (``{column: value}``). Rows are paired on
``pair_on`` (default seed and user): d_k = a_k - b_k for every pair k with both values present.

- paired t-test: t = mean(d) / (sd(d) / sqrt(n)), n - 1 degrees of freedom (``scipy.stats.ttest_rel``).
- Wilcoxon signed-rank: two-sided, W = the smaller of the rank sums of positive and negative d_k
  (one-sided: the positive rank sum), zero differences dropped (``scipy.stats.wilcoxon``,
  zero_method="wilcox").

Pairing by seed matches the design: for one seed every model sees the same participants and the
same test users, so each (seed, user) is one matched observation. Note the pairs are not
independent across users within a seed (one model per seed); with few seeds read the p-values
as descriptive.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from strikebench.analysis.table import PER_USER_KEYS, PARTICIPANT, USER, ResultsTableError, validate_per_user_table


@dataclass(frozen=True)
class PairedTestResult:
    """Outcome of :func:`paired_test`; differences are A - B."""

    n: int
    mean_difference: float
    t_statistic: float
    t_pvalue: float
    wilcoxon_statistic: float
    wilcoxon_pvalue: float

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
    says so. Returns ``pair_on + [a, b, difference]``.
    """
    metric = comparison.metric
    if not set(PER_USER_KEYS) | {USER, PARTICIPANT, metric} <= set(per_user.columns):
        per_user = validate_per_user_table(per_user, metrics=[metric])
    if metric not in per_user.columns:
        raise ResultsTableError(metric, "missing metric column")
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
        sides.append(side[pair_on + [metric]].rename(columns={metric: name}))
    pairs = sides[0].merge(sides[1], on=pair_on, how="inner").dropna(subset=["a", "b"])
    pairs["difference"] = pairs["a"] - pairs["b"]
    return pairs.reset_index(drop=True)


def paired_test(per_user: pd.DataFrame, comparison: PairedComparison,
                alternative: str = "two-sided") -> PairedTestResult:
    """Paired t-test and Wilcoxon signed-rank test of side A against side B.

    d_k = a_k - b_k over the n pairs; mean_difference = mean(d); t = mean(d) / (sd(d)/sqrt(n))
    (scipy ``ttest_rel``); W from scipy ``wilcoxon`` (zeros dropped). Statistics and p-values are
    NaN when n < 2, and the Wilcoxon ones also when every difference is zero; the t ones when all
    differences are equal (zero variance).
    """
    pairs = paired_differences_per_user(per_user, comparison)
    d = pairs["difference"].to_numpy(float)
    n = len(d)
    mean = float(d.mean()) if n else float("nan")
    t_stat = t_p = w_stat = w_p = float("nan")
    if n >= 2:
        with np.errstate(divide="ignore", invalid="ignore"):
            t = stats.ttest_rel(pairs["a"].to_numpy(float), pairs["b"].to_numpy(float), alternative=alternative)
        t_stat, t_p = float(t.statistic), float(t.pvalue)
        if np.any(d != 0):
            w = stats.wilcoxon(d, zero_method="wilcox", alternative=alternative)
            w_stat, w_p = float(w.statistic), float(w.pvalue)
    return PairedTestResult(n, mean, t_stat, t_p, w_stat, w_p)
