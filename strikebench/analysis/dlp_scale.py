"""The scale of Data Leverage Power: its worst W and best B values (``dlp.py``).

Default, as in Vincent & Hecht's CSCW'21 code: W and B are the worst and best values *observed in
the study* - over every row (every seed) of the DLP levers, in either company and at any
participation, and the incumbent's full-data rows, of the same study, dataset, model, view,
group and metric (for a lower-is-better metric the worst is the largest value). Their code reads
them as ``df[col].min()`` / ``df[col].max()`` over one experiment's rows; here an experiment is
the DLP levers of one model in one study.

Options: ``worst="reference"`` - the incumbent's reference model on full data (mean over seeds);
``best="full_data"`` - the incumbent's same model on full data, per seed (its mean where a seed has
no full-data run); or a number, or ``{metric: number}``, for either.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd

from strikebench.analysis.aggregate import is_full_data, sign_of
from strikebench.analysis.baselines import REFERENCE_KEYS
from strikebench.analysis.table import SEED, VALUE, ResultsTableError

OBSERVED = "observed"
#: Keys of one DLP scale: a curve without its lever, selector and company.
SCALE_KEYS: tuple[str, ...] = ("study", "dataset", "model", "view", "group", "metric")


def _constant(values: float | Mapping[str, float], metrics: pd.Series, what: str) -> np.ndarray:
    if isinstance(values, Mapping):
        missing = sorted(set(metrics) - set(values))
        if missing:
            raise ResultsTableError("metric", f"no explicit {what} value for metric {missing[0]!r}")
        return metrics.map(dict(values)).to_numpy(float)
    return np.full(len(metrics), float(values))


def observed_extremes(table: pd.DataFrame, acting: pd.Series, lower_is_better: Collection[str] | None = None
                      ) -> pd.DataFrame:
    """Worst and best single values per scale (module docstring); ``acting`` marks the DLP levers' rows.

    Returns ``SCALE_KEYS + [observed_worst, observed_best]``.
    """
    full = (table["company"] == "incumbent") & is_full_data(table["participation"])
    pool = table[(acting | full) & table[VALUE].notna()]
    good = pool.assign(_good=sign_of(pool["metric"], lower_is_better) * pool[VALUE].to_numpy(float))
    ext = good.groupby(list(SCALE_KEYS), dropna=False)["_good"].agg(_low="min", _high="max").reset_index()
    s = sign_of(ext["metric"], lower_is_better)
    return ext.assign(observed_worst=s * ext.pop("_low"), observed_best=s * ext.pop("_high"))


def worst_values(table: pd.DataFrame, rows: pd.DataFrame, acting: pd.Series, options) -> np.ndarray:
    """W for every row of ``rows`` (``options``: a ``DLPOptions``)."""
    worst = OBSERVED if options.worst is None else options.worst
    if isinstance(worst, str) and worst == OBSERVED:
        ext = observed_extremes(table, acting, options.lower_is_better)
        return rows[list(SCALE_KEYS)].merge(ext, on=list(SCALE_KEYS), how="left")["observed_worst"].to_numpy(float)
    if isinstance(worst, str) and worst == "reference":
        ref = table[(table["model"] == options.reference_model) & (table["company"] == "incumbent")
                    & is_full_data(table["participation"])]
        keys = list(REFERENCE_KEYS)
        ref = ref.groupby(keys + [SEED])[VALUE].mean().groupby(keys).mean().rename("_w").reset_index()
        return rows[keys].merge(ref, on=keys, how="left")["_w"].to_numpy(float)
    if isinstance(worst, str):
        raise ValueError(f"worst must be None, 'observed', 'reference', a number or a mapping, got {worst!r}")
    return _constant(worst, rows["metric"], "worst")


def best_values(table: pd.DataFrame, rows: pd.DataFrame, acting: pd.Series, options) -> tuple[np.ndarray, np.ndarray]:
    """(B, B_s) for every row of ``rows``: the cell's B and the row's seed's B (equal unless
    ``best="full_data"``)."""
    best = OBSERVED if options.best is None else options.best
    if isinstance(best, str) and best == OBSERVED:
        ext = observed_extremes(table, acting, options.lower_is_better)
        b = rows[list(SCALE_KEYS)].merge(ext, on=list(SCALE_KEYS), how="left")["observed_best"].to_numpy(float)
        return b, b
    if isinstance(best, str) and best == "full_data":
        keys = list(SCALE_KEYS)
        full = table[(table["company"] == "incumbent") & is_full_data(table["participation"])]
        per_seed = full.groupby(keys + [SEED])[VALUE].mean().rename("_b_seed").reset_index()
        mean = per_seed.groupby(keys)["_b_seed"].mean().rename("_b").reset_index()
        both = rows[keys + [SEED]].merge(per_seed, on=keys + [SEED], how="left").merge(mean, on=keys, how="left")
        b = both["_b"].to_numpy(float)
        return b, both["_b_seed"].fillna(both["_b"]).to_numpy(float)
    if isinstance(best, str):
        raise ValueError(f"best must be None, 'observed', 'full_data', a number or a mapping, got {best!r}")
    b = _constant(best, rows["metric"], "best")
    return b, b


def is_observed_scale(options) -> bool:
    """True when both W and B are the study's observed extremes (DLP of transfer / strike then lies in [0, 1])."""
    return all(v is None or (isinstance(v, str) and v == OBSERVED) for v in (options.worst, options.best))


__all__ = ["OBSERVED", "SCALE_KEYS", "best_values", "is_observed_scale", "observed_extremes", "worst_values"]
