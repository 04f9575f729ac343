"""Back in time: the participation at which a model falls to an older algorithm's full-data level.

A ladder maps reference models to years, e.g. ``{"ItemKNN": 1999, "Pop": 1990}``. For a curve
M(p) and a reference r, R is r's full-data level on the same users: the table's ``p0:<r>``
(``baselines.py``), else, for group ``all`` only, R = mean_s M_r(0, s) (the incumbent's, same
study / dataset / view / group / metric, pooled over levers and selectors). With
y(p) = s * (M(p) - R(p)) averaged over seeds:

    p_r = first p where y(p) <= 0, linearly interpolated between bracketing points
        = p_{i-1} - y(p_{i-1}) * (p_i - p_{i-1}) / (y(p_i) - y(p_{i-1}))

(for a constant R: p_{i-1} + (R - M_{i-1}) (p_i - p_{i-1}) / (M_i - M_{i-1})), with s = -1 for
lower-is-better metrics (the model then *rises* to R). NaN when the curve never falls that far. A
result equal to the curve's smallest p means the model is already at or below R on full data.
CI: as in ``thresholds`` - the same rule on each seed's curve y_s(p), t-interval over seeds
centred on p_r (or percentile), clipped to [0, 1]; seeds that never reach R are left out and counted.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd

from strikebench.analysis.aggregate import as_results_table, is_full_data, sign_of, summarise_cells
from strikebench.analysis.baselines import (
    REASON_NO_SAME_USERS, REFERENCE_KEYS, baseline_or_full_data, same_user_values,
)
from strikebench.analysis.crossing import crossing_table
from strikebench.analysis.table import CURVE_KEYS, SEED, VALUE
LADDER: dict[str, int] = {"ItemKNN": 1999, "Pop": 1990}
REASON_SELF = "reference model"
REASON_NO_REFERENCE = "no reference model on full data"
REASON_NEVER = "never reached"


def reference_levels(table: pd.DataFrame, models: Collection[str]) -> pd.DataFrame:
    """Full-data level of each reference model: R = mean over seeds of the incumbent's p = 0 value.

    Same-seed rows of different levers / selectors at p = 0 are averaged first. Returns
    ``[study, dataset, view, group, metric, reference_model, reference_value]``.
    """
    table = as_results_table(table)
    ref = table[table["model"].isin(list(models)) & (table["company"] == "incumbent")
                & is_full_data(table["participation"])]
    keys = list(REFERENCE_KEYS) + ["model"]
    per_seed = ref.groupby(keys + [SEED], dropna=False)[VALUE].mean().reset_index()
    out = per_seed.groupby(keys, dropna=False)[VALUE].mean().reset_index()
    return out.rename(columns={"model": "reference_model", VALUE: "reference_value"})


def _ladder_frame(ladder: Mapping[str, int] | Collection[str]) -> pd.DataFrame:
    years = dict(ladder) if isinstance(ladder, Mapping) else {m: np.nan for m in ladder}
    return pd.DataFrame({"reference_model": list(years), "year": list(years.values())})


def back_in_time(
    table: pd.DataFrame,
    ladder: Mapping[str, int] | Collection[str] = LADDER,
    lower_is_better: Collection[str] | None = None,
    ci: str = "t",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Participation p_r at which each curve falls to each ladder model's full-data level.

    ``ladder``: reference model -> year, or just the reference models (year NaN). With
    y(p) = s * (M(p) - R(p)), p_r = p_{i-1} - y_{i-1} (p_i - p_{i-1}) / (y_i - y_{i-1}) at the first
    p_i with y_i <= 0 (module docstring); NaN if never. R(p) is the same users' level (``p0:<r>``)
    where the table has it. Returns ``CURVE_KEYS + [reference_model, year, reference_value,
    participation, ci_low, ci_high, n_seeds, n_seeds_never, method, reason]``.
    """
    table = as_results_table(table).reset_index(drop=True)
    keys = list(CURVE_KEYS) + ["reference_model", "year"]
    columns = keys[:-2] + ["reference_model", "year", "reference_value", "participation",
                           "ci_low", "ci_high", "n_seeds", "n_seeds_never", "method", "reason"]
    frames = [_against(table, model, year, lower_is_better)
              for model, year in _ladder_frame(ladder).itertuples(index=False)]
    if table.empty or not frames:
        return pd.DataFrame(columns=columns)
    rows = pd.concat(frames, ignore_index=True)
    rows["_y"] = rows["_good"] - rows["_level"]
    mean_curve = summarise_cells(rows, keys + ["participation"], "_y").rename(columns={"mean": "_y"})
    targets = rows.groupby(keys, dropna=False).agg(reference_value=("_r", "mean")).reset_index()
    targets["level"] = 0.0
    out = crossing_table(mean_curve, rows, targets, keys, "_y", "down", ci, confidence, SEED)
    out["reason"] = np.select(
        [out["model"] == out["reference_model"],
         (out["group"] != "all") & out["reference_value"].isna(),
         out["reference_value"].isna(), out["participation"].isna()],
        [REASON_SELF, REASON_NO_SAME_USERS, REASON_NO_REFERENCE, REASON_NEVER], default="")
    undefined = out["reason"].isin([REASON_SELF, REASON_NO_SAME_USERS, REASON_NO_REFERENCE])
    out.loc[undefined, ["participation", "ci_low", "ci_high"]] = np.nan
    out.loc[undefined, ["n_seeds", "n_seeds_never"]] = 0
    return out[columns].reset_index(drop=True)


def _against(table: pd.DataFrame, model: str, year, lower_is_better) -> pd.DataFrame:
    """Every row with its level R (the same users' p = 0 value of ``model``, else for group all
    the p = 0 level of :func:`reference_levels`) and s * M, s * R."""
    levels = reference_levels(table, [model]).drop(columns="reference_model")
    full_level = table[list(REFERENCE_KEYS)].merge(levels, on=list(REFERENCE_KEYS), how="left")["reference_value"]
    r = baseline_or_full_data(table, same_user_values(table, model), full_level.to_numpy(float))
    s = sign_of(table["metric"], lower_is_better)
    rows = table[list(CURVE_KEYS) + ["participation", SEED]].assign(reference_model=model, year=year)
    return rows.assign(_r=r, _good=s * table[VALUE].to_numpy(float), _level=s * r)
