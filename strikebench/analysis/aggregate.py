"""Means with Student-t confidence intervals over seeds, and differences paired with p = 0.

A *cell* is one row of the results table without its seed (``CELL_KEYS``); its seeds are the
replicates (participant draws), so every interval here is over seeds (``method`` says so). A cell
with one seed has a mean but no interval (CI = NaN, never 0).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from strikebench.analysis.baselines import baseline_or_full_data, same_user_values
from strikebench.analysis.table import CELL_KEYS, KEYS, VALUE, metric_sign, validate_results_table

#: At p = 0 no lever acts, so full-data rows may be pooled over these keys when a cell has no
#: full-data row of its own lever and selector.
POOLED_AT_FULL_DATA: tuple[str, ...] = ("lever", "selector")
_P_TOL = 1e-12
#: The ``method`` column of intervals that are Student-t intervals over per-seed values.
T_OVER_SEEDS = "t over seeds"


def as_results_table(table: pd.DataFrame) -> pd.DataFrame:
    """Return ``table`` unchanged when it already has every key and ``value``, else validate it."""
    if isinstance(table, pd.DataFrame) and set(KEYS) | {VALUE} <= set(table.columns):
        return table
    return validate_results_table(table)


def is_full_data(participation: pd.Series | np.ndarray | float, at: float = 0.0):
    """True where participation == ``at`` (default 0: nobody acted, the company has all the data)."""
    return np.abs(np.asarray(participation, dtype=float) - at) <= _P_TOL


def t_multiplier(n: np.ndarray | int, confidence: float = 0.95) -> np.ndarray:
    """Student-t quantile t_{(1+confidence)/2, n-1}; NaN where n < 2."""
    n = np.asarray(n, dtype=float)
    out = np.full(n.shape, np.nan)
    ok = n >= 2
    out[ok] = stats.t.ppf((1.0 + confidence) / 2.0, n[ok] - 1.0)
    return out


def t_half_width(n, sd, confidence: float = 0.95) -> np.ndarray:
    """t_{(1+c)/2, n-1} * sd / sqrt(n), elementwise; NaN where n < 2."""
    n = np.asarray(n, dtype=float)
    return t_multiplier(n, confidence) * np.asarray(sd, dtype=float) / np.sqrt(np.maximum(n, 1.0))


def t_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float, float, int]:
    """(mean, low, high, n) of the non-NaN ``values``: mean +/- t_{(1+c)/2, n-1} * sd / sqrt(n).

    sd is the sample standard deviation (ddof = 1). n = 1 gives low = high = NaN; n = 0 all NaN.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return float("nan"), float("nan"), float("nan"), 0
    mean = float(x.mean())
    if n < 2:
        return mean, float("nan"), float("nan"), n
    half = float(t_multiplier(n, confidence)) * float(x.std(ddof=1)) / np.sqrt(n)
    return mean, mean - half, mean + half, n


def summarise_cells(
    table: pd.DataFrame,
    keys: Sequence[str] = CELL_KEYS,
    value: str = VALUE,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Mean and Student-t CI of ``value`` over the rows (seeds) of each cell.

    For each group of ``keys`` with non-NaN values x_1..x_n:
    mean = sum(x)/n, sd = sqrt(sum((x - mean)^2) / (n - 1)),
    CI = mean +/- t_{(1+confidence)/2, n-1} * sd / sqrt(n); n = 1 gives CI = NaN.
    Returns ``keys + [mean, sd, n_seeds, ci_low, ci_high, method]``. NaN values (a group with no
    users) are left out of n; a cell with only NaN values has mean NaN and n_seeds 0.
    """
    keys = list(keys)
    grouped = table.groupby(keys, sort=True, dropna=False)[value]
    out = grouped.agg(mean="mean", sd="std", n_seeds="count").reset_index()
    half = t_half_width(out["n_seeds"], out["sd"], confidence)
    out["ci_low"] = out["mean"] - half
    out["ci_high"] = out["mean"] + half
    out["n_seeds"] = out["n_seeds"].astype("int64")
    out["method"] = T_OVER_SEEDS
    return out


def attach_full_data(
    rows: pd.DataFrame,
    full: pd.DataFrame,
    on: Sequence[str],
    name: str,
    value: str = VALUE,
    pool_over: Sequence[str] = POOLED_AT_FULL_DATA,
) -> pd.DataFrame:
    """Add column ``name``: the full-data ``value`` matching each row of ``rows`` on ``on``.

    Rows of ``full`` are matched on all of ``on`` first; a row of ``rows`` whose exact key is
    absent from ``full`` is matched on ``on`` minus ``pool_over`` (lever, selector), taking the
    mean over the pooled rows - at p = 0 no lever acts, so every lever's full-data run is the same
    experiment. Unmatched rows get NaN.
    """
    on = list(on)
    exact = full[on + [value]].groupby(on, dropna=False)[value].mean().rename(name).reset_index()
    out = rows.merge(exact, on=on, how="left", indicator="_exact")
    reduced = [k for k in on if k not in pool_over]
    if reduced != on:
        pooled = full.groupby(reduced, dropna=False)[value].mean().rename("_pooled").reset_index()
        out = out.merge(pooled, on=reduced, how="left")
        absent = out["_exact"] == "left_only"
        out.loc[absent, name] = out.loc[absent, "_pooled"]
        out = out.drop(columns="_pooled")
    return out.drop(columns="_exact")


def paired_differences(table: pd.DataFrame) -> pd.DataFrame:
    """Per-seed differences against the same users at p = 0 with the same seed.

    d(p, s) = M(p, s) - M0(p, s). M0 is the row's same-user baseline ``p0:<model>``
    (``baselines.py``) where the table has it: the model's p = 0 value over exactly the users of
    the row's group at p. Without it, group ``all`` uses the full-data row with the same seed,
    study, dataset, model, lever, selector, company, view and metric (p = 0 rows of other levers
    / selectors pooled, see :func:`attach_full_data`); participants and non-participants get
    NaN (their p = 0 group holds other users). A seed with no p = 0 partner gives NaN.
    Returns the table with columns ``baseline`` and ``difference`` added.
    """
    table = as_results_table(table)
    full = table[is_full_data(table["participation"])]
    on = [k for k in KEYS if k != "participation"]
    out = attach_full_data(table, full, on, "_full")
    out["baseline"] = baseline_or_full_data(out, same_user_values(out), out.pop("_full"))
    out["difference"] = out[VALUE] - out["baseline"]
    return out


def summarise_paired_differences(table: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean paired difference M(p) - M0 per cell with a t-interval over seeds.

    mean_d = mean_s d(p, s), CI = mean_d +/- t_{(1+c)/2, n-1} * sd(d) / sqrt(n) (paired-t interval);
    n = seeds with a partner. Returns ``CELL_KEYS + [mean, sd, n_seeds, ci_low, ci_high, method]``.
    """
    return summarise_cells(paired_differences(table), CELL_KEYS, "difference", confidence)


def sign_of(metrics: pd.Series, lower_is_better=None) -> np.ndarray:
    """+1 / -1 per row: -1 where the metric is lower-is-better (see ``table.is_lower_better``)."""
    signs = {m: metric_sign(m, lower_is_better) for m in pd.unique(metrics)}
    return metrics.map(signs).to_numpy(dtype=float)


__all__ = [
    "T_OVER_SEEDS", "as_results_table", "attach_full_data", "is_full_data", "paired_differences",
    "sign_of", "summarise_cells", "summarise_paired_differences", "t_half_width", "t_interval", "t_multiplier",
]
