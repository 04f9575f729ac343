"""Loss as a share of the personalisation gap (Vincent, Hecht & Sen 2019).

    L(p) = (M(0) - M(p)) / (M(0) - M_ref)

M(p) is the model at participation p, M(0) the same model on full data and M_ref a
non-personalised reference model (default ``"Pop"``) on full data - the incumbent's, in the same
dataset, view, group and metric. L = 0: nothing lost; L = 1: the whole benefit of
personalisation is gone; L > 1: worse than the reference.

The ratio does not change when a lower-is-better metric (rmse, mae) is mirrored (both sides change
sign); the mirror matters for the gap test: the gap is s * (M(0) - M_ref) with s = -1 for
lower-is-better metrics, and it must be clearly positive.

Uncertainty (the choice made here): the point estimate is the ratio of the means over seeds. Each
seed s also gets its own ratio L_s = (M0_s - M_s(p)) / (M0_s - Mref_s), where M0_s and Mref_s are
the same-seed full-data values when that seed exists, else their means over seeds (a
deterministic reference model is often run with one seed). The CI is centred on the point
estimate with the per-seed spread: L +/- t_{(1+c)/2, n-1} * sd(L_s) / sqrt(n), n = seeds with a
finite L_s; NaN when n < 2. The gap gets the same treatment: gap = s * (mean M0 - mean Mref),
+/- t * sd(g_s) / sqrt(n) over the union of the two sides' seeds, g_s = s * (M0_s - Mref_s).
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd

from strikebench.analysis.aggregate import (
    as_results_table, is_full_data, sign_of, t_multiplier,
)
from strikebench.analysis.table import CELL_KEYS, CURVE_KEYS, SEED, VALUE, ResultsTableError

REFERENCE_MODEL = "Pop"
#: Keys that tie a cell to its reference model's full-data value.
REFERENCE_KEYS: tuple[str, ...] = ("dataset", "view", "group", "metric")

# reasons L is undefined (column ``reason``; "" where L is defined)
REASON_REFERENCE = "reference model"
REASON_NO_REFERENCE = "no reference model on full data"
REASON_NO_FULL = "no full-data value"
REASON_NO_VALUE = "no value"
REASON_GAP = "gap not positive"
REASON_GAP_CI = "gap CI includes 0"


@dataclass(frozen=True)
class LossShareOptions:
    """How L(p) and its gap are measured; shared by every measure built on the loss share.

    ``reference_model``: M_ref's model; ``lower_is_better``: metrics with s = -1 besides the known
    ones; ``baseline_group``: take M(0) and M_ref from another group (e.g. ``"all"`` for the
    participants group, which is empty at p = 0); ``tolerance``: the smallest gap s * (M(0) - M_ref)
    counted as positive; ``confidence``: the CI level c.
    """

    reference_model: str = REFERENCE_MODEL
    lower_is_better: Collection[str] | None = None
    baseline_group: str | None = None
    tolerance: float = 1e-9
    confidence: float = 0.95


def _full_data_per_seed(table: pd.DataFrame, curves: pd.DataFrame, baseline_group: str | None):
    """M0 per (curve, seed): same lever/selector if present, else pooled over lever and selector."""
    full = table[is_full_data(table["participation"])]
    curves = curves.copy()
    curves["_group"] = curves["group"] if baseline_group is None else baseline_group
    full = full.rename(columns={"group": "_group"})
    on = [k for k in CURVE_KEYS if k != "group"] + ["_group"]
    exact = curves.merge(full[on + [SEED, VALUE]], on=on, how="inner")
    have = exact[list(CURVE_KEYS)].drop_duplicates()
    rest = curves.merge(have, on=list(CURVE_KEYS), how="left", indicator=True)
    rest = rest[rest["_merge"] == "left_only"].drop(columns="_merge")
    reduced = [k for k in on if k not in ("lever", "selector")]
    pooled = full.groupby(reduced + [SEED], dropna=False)[VALUE].mean().reset_index()
    pooled = rest.merge(pooled, on=reduced, how="inner")
    both = pd.concat([exact, pooled], ignore_index=True)
    return both[list(CURVE_KEYS) + [SEED, VALUE]].rename(columns={VALUE: "m0"})


def _reference_per_seed(table: pd.DataFrame, curves: pd.DataFrame, reference_model: str,
                        baseline_group: str | None) -> pd.DataFrame:
    """Mref per (curve, seed): the incumbent's reference model at p = 0, pooled over lever/selector."""
    ref = table[(table["model"] == reference_model) & (table["company"] == "incumbent")
                & is_full_data(table["participation"])]
    ref = ref.groupby(list(REFERENCE_KEYS) + [SEED], dropna=False)[VALUE].mean().reset_index()
    ref = ref.rename(columns={"group": "_group", VALUE: "mref"})
    curves = curves.copy()
    curves["_group"] = curves["group"] if baseline_group is None else baseline_group
    on = [k for k in REFERENCE_KEYS if k != "group"] + ["_group"]
    return curves.merge(ref, on=on, how="inner")[list(CURVE_KEYS) + [SEED, "mref"]]


def _pair(per_seed: pd.DataFrame, name: str) -> pd.DataFrame:
    """Per-curve mean of column ``name`` (over its non-NaN seeds)."""
    return per_seed.groupby(list(CURVE_KEYS), dropna=False)[name].mean().rename(name + "_mean").reset_index()


def personalisation_gap(table: pd.DataFrame, options: LossShareOptions = LossShareOptions()) -> pd.DataFrame:
    """The personalisation gap per curve: gap = s * (M(0) - M_ref), with a t-interval over seeds.

    s = +1 (higher is better) or -1 (lower is better). M(0) and M_ref are means over seeds of the
    full-data values; gap CI = gap +/- t_{(1+c)/2, n-1} * sd(g_s) / sqrt(n) with
    g_s = s * (M0_s - Mref_s) over the union of seeds, a missing side replaced by its mean.
    Returns ``CURVE_KEYS + [full_value, reference_value, gap, gap_ci_low, gap_ci_high,
    gap_n_seeds]``; curves without a full-data value or reference get NaN. ``options.tolerance``
    is not used.
    """
    return _gap(as_results_table(table), options)[0]


def _gap(table, options: LossShareOptions):
    curves = table[list(CURVE_KEYS)].drop_duplicates().reset_index(drop=True)
    m0 = _full_data_per_seed(table, curves, options.baseline_group)
    mref = _reference_per_seed(table, curves, options.reference_model, options.baseline_group)
    out = curves.merge(_pair(m0, "m0"), on=list(CURVE_KEYS), how="left")
    out = out.merge(_pair(mref, "mref"), on=list(CURVE_KEYS), how="left")
    # per-seed gaps over the union of seeds, a missing side replaced by its mean
    g = m0.merge(mref, on=list(CURVE_KEYS) + [SEED], how="outer")
    g = g.merge(out, on=list(CURVE_KEYS), how="left")
    g["m0"] = g["m0"].fillna(g["m0_mean"])
    g["mref"] = g["mref"].fillna(g["mref_mean"])
    g["g"] = sign_of(g["metric"], options.lower_is_better) * (g["m0"] - g["mref"])
    spread = g.groupby(list(CURVE_KEYS), dropna=False)["g"].agg(gap_sd="std", gap_n_seeds="count").reset_index()
    out = out.merge(spread, on=list(CURVE_KEYS), how="left")
    out["gap_n_seeds"] = out["gap_n_seeds"].fillna(0).astype("int64")
    out["gap"] = sign_of(out["metric"], options.lower_is_better) * (out["m0_mean"] - out["mref_mean"])
    half = t_multiplier(out["gap_n_seeds"].to_numpy(), options.confidence) * out["gap_sd"].to_numpy() / np.sqrt(
        out["gap_n_seeds"].clip(lower=1).to_numpy())
    out["gap_ci_low"] = out["gap"] - half
    out["gap_ci_high"] = out["gap"] + half
    out = out.rename(columns={"m0_mean": "full_value", "mref_mean": "reference_value"})
    return out.drop(columns="gap_sd"), m0, mref


def loss_share_per_seed(table: pd.DataFrame, options: LossShareOptions = LossShareOptions()) -> pd.DataFrame:
    """Per-seed loss share L_s(p) = (M0_s - M_s(p)) / (M0_s - Mref_s).

    M0_s / Mref_s: same-seed full-data values where that seed exists, else the mean over seeds.
    NaN where s * (M0_s - Mref_s) <= ``options.tolerance``. Returns ``CELL_KEYS + [seed, value,
    full_value, reference_value, loss_share]`` for every row of the table.
    """
    return loss_share_frames(table, options)[1]


def _per_seed(table, options: LossShareOptions):
    gap, m0, mref = _gap(table, options)
    rows = table[list(CELL_KEYS) + [SEED, VALUE]]
    rows = rows.merge(m0, on=list(CURVE_KEYS) + [SEED], how="left")
    rows = rows.merge(mref, on=list(CURVE_KEYS) + [SEED], how="left")
    rows = rows.merge(gap[list(CURVE_KEYS) + ["full_value", "reference_value"]], on=list(CURVE_KEYS), how="left")
    rows["full_value"] = rows.pop("m0").fillna(rows["full_value"])
    rows["reference_value"] = rows.pop("mref").fillna(rows["reference_value"])
    s = sign_of(rows["metric"], options.lower_is_better)
    denom = s * (rows["full_value"] - rows["reference_value"])
    num = s * (rows["full_value"] - rows[VALUE])
    positive = denom > options.tolerance
    rows["loss_share"] = np.where(positive, num / denom.where(positive, 1.0), np.nan)
    return gap, rows


def loss_share(table: pd.DataFrame, options: LossShareOptions = LossShareOptions()) -> pd.DataFrame:
    """Loss as a share of the personalisation gap per cell, L(p) = (M(0) - M(p)) / (M(0) - M_ref).

    Point estimate = ratio of the means over seeds; CI = L +/- t_{(1+c)/2, n-1} * sd(L_s) / sqrt(n)
    over the per-seed ratios (module docstring). L is NaN, with ``reason`` saying why, for the
    reference model itself, where there is no reference or full-data value, where the cell has no
    value, where the gap s * (M(0) - M_ref) <= ``options.tolerance``, and where the gap's CI (more
    than one seed) includes 0.
    Returns ``CELL_KEYS + [loss_share, ci_low, ci_high, n_seeds, value, full_value,
    reference_value, gap, gap_ci_low, gap_ci_high, reason]``.
    """
    return loss_share_frames(table, options)[0]


def loss_share_frames(
    table: pd.DataFrame, options: LossShareOptions = LossShareOptions(),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(:func:`loss_share`, :func:`loss_share_per_seed`) computed once, for callers needing both."""
    table = as_results_table(table)
    if options.baseline_group is not None and options.baseline_group not in set(table["group"]):
        raise ResultsTableError("group", f"baseline_group {options.baseline_group!r} not in the table")
    gap, per_seed = _per_seed(table, options)
    cells = per_seed.groupby(list(CELL_KEYS), dropna=False).agg(
        value=(VALUE, "mean"), ls_sd=("loss_share", "std"), n_seeds=("loss_share", "count"),
    ).reset_index()
    out = cells.merge(gap.drop(columns="gap_n_seeds"), on=list(CURVE_KEYS), how="left")
    out["loss_share"] = (out["full_value"] - out["value"]) / (out["full_value"] - out["reference_value"])
    half = t_multiplier(out["n_seeds"].to_numpy(), options.confidence) * out["ls_sd"].to_numpy() / np.sqrt(
        out["n_seeds"].clip(lower=1).to_numpy())
    out["ci_low"] = out["loss_share"] - half
    out["ci_high"] = out["loss_share"] + half
    reason = np.select(
        [out["model"] == options.reference_model,
         out["full_value"].isna(),
         out["reference_value"].isna(),
         out["value"].isna(),
         ~(out["gap"] > options.tolerance),
         out["gap_ci_low"] <= 0],
        [REASON_REFERENCE, REASON_NO_FULL, REASON_NO_REFERENCE, REASON_NO_VALUE, REASON_GAP, REASON_GAP_CI],
        default="",
    )
    out["reason"] = reason
    undefined = out["reason"] != ""
    out.loc[undefined, ["loss_share", "ci_low", "ci_high"]] = np.nan
    out["n_seeds"] = out["n_seeds"].where(~undefined, 0).astype("int64")
    columns = list(CELL_KEYS) + ["loss_share", "ci_low", "ci_high", "n_seeds", "value", "full_value",
                                 "reference_value", "gap", "gap_ci_low", "gap_ci_high", "reason"]
    return out[columns], per_seed
