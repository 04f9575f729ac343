"""Back in time: the participation at which a model falls to an older algorithm's full-data level.

A ladder maps reference models to years, e.g. ``{"ItemKNN": 1999, "Pop": 1990}``. For a curve
M(p) (mean over seeds) and a reference r with full-data level R = mean_s M_r(0, s) (the
incumbent's, same dataset / view / group / metric, pooled over levers and selectors):

    p_r = first p where s * M(p) <= s * R, linearly interpolated between bracketing points
        = p_{i-1} + (R - M(p_{i-1})) * (p_i - p_{i-1}) / (M(p_i) - M(p_{i-1}))

with s = -1 for lower-is-better metrics (the model then *rises* to R). NaN when the curve never
falls that far. A result equal to the curve's smallest p means the model is already at or below R
on full data. CI: as in ``thresholds`` - per-seed curves M_s(p) against the same mean level R,
t-interval centred on p_r (or percentile), seeds that never reach R left out and counted.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd

from strikebench.analysis.aggregate import as_results_table, is_full_data, sign_of, summarise_cells
from strikebench.analysis.crossing import crossing_table
from strikebench.analysis.table import CELL_KEYS, CURVE_KEYS, SEED, VALUE

LADDER: dict[str, int] = {"ItemKNN": 1999, "Pop": 1990}
REASON_SELF = "reference model"
REASON_NO_REFERENCE = "no reference model on full data"
REASON_NEVER = "never reached"


def reference_levels(table: pd.DataFrame, models: Collection[str]) -> pd.DataFrame:
    """Full-data level of each reference model: R = mean over seeds of the incumbent's p = 0 value.

    Same-seed rows of different levers / selectors at p = 0 are averaged first. Returns
    ``[dataset, view, group, metric, reference_model, reference_value]``.
    """
    table = as_results_table(table)
    ref = table[table["model"].isin(list(models)) & (table["company"] == "incumbent")
                & is_full_data(table["participation"])]
    keys = ["dataset", "view", "group", "metric", "model"]
    per_seed = ref.groupby(keys + [SEED], dropna=False)[VALUE].mean().reset_index()
    out = per_seed.groupby(keys, dropna=False)[VALUE].mean().reset_index()
    return out.rename(columns={"model": "reference_model", VALUE: "reference_value"})


def back_in_time(
    table: pd.DataFrame,
    ladder: Mapping[str, int] = LADDER,
    lower_is_better: Collection[str] | None = None,
    baseline_group: str | None = None,
    ci: str = "t",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Participation p_r at which each curve falls to each ladder model's full-data level.

    p_r = p_{i-1} + (R - M_{i-1}) (p_i - p_{i-1}) / (M_i - M_{i-1}) at the first p_i with
    s * M_i <= s * R (module docstring); NaN if never. ``baseline_group`` takes R from another
    group (e.g. ``"all"`` for the participants curve). Returns ``CURVE_KEYS + [reference_model,
    year, reference_value, participation, ci_low, ci_high, n_seeds, n_seeds_never, reason]``.
    """
    table = as_results_table(table)
    s = sign_of(table["metric"], lower_is_better)
    good = table.assign(_good=s * table[VALUE])
    mean_curve = summarise_cells(good, CELL_KEYS, "_good").rename(columns={"mean": "_good"})
    curves = table[list(CURVE_KEYS)].drop_duplicates().reset_index(drop=True)
    ladder_frame = pd.DataFrame({"reference_model": list(ladder), "year": list(ladder.values())})
    targets = curves.merge(ladder_frame, how="cross")
    levels = reference_levels(table, list(ladder))
    targets["_group"] = targets["group"] if baseline_group is None else baseline_group
    targets = targets.merge(levels.rename(columns={"group": "_group"}),
                            on=["dataset", "view", "_group", "metric", "reference_model"], how="left")
    targets = targets.drop(columns="_group")
    targets["level"] = sign_of(targets["metric"], lower_is_better) * targets["reference_value"]
    out = crossing_table(mean_curve, good, targets, CURVE_KEYS, "_good", "down", ci, confidence, SEED)
    out["reason"] = np.select(
        [out["model"] == out["reference_model"], out["reference_value"].isna(), out["participation"].isna()],
        [REASON_SELF, REASON_NO_REFERENCE, REASON_NEVER], default="")
    undefined = out["reason"].isin([REASON_SELF, REASON_NO_REFERENCE])
    out.loc[undefined, ["participation", "ci_low", "ci_high"]] = np.nan
    out.loc[undefined, ["n_seeds", "n_seeds_never"]] = 0
    columns = list(CURVE_KEYS) + ["reference_model", "year", "reference_value", "participation",
                                  "ci_low", "ci_high", "n_seeds", "n_seeds_never", "reason"]
    return out[columns].reset_index(drop=True)
