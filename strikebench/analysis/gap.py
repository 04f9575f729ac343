"""Loss as a share of the personalisation gap (Vincent, Hecht & Sen 2019).

    L(p) = (M(0) - M(p)) / (M(0) - M_ref)

M(p) is the model at participation p, M(0) the same model on full data and M_ref a
non-personalised reference model (default ``"Pop"``) on full data - the incumbent's, in the same
study, dataset, view, group and metric. L = 0: nothing lost; L = 1: the whole benefit of
personalisation is gone; L > 1: worse than the reference.

Same users: M(0) and M_ref are measured on exactly the users of the row's group at p - the
table's same-user baselines ``p0:<model>`` and ``p0:<reference>`` (``baselines.py``). Without
them only group ``all`` has M(0) and M_ref (the p = 0 rows: the same users in the holdout view);
participants and non-participants are undefined ("no same-user baseline").

The ratio does not change when a lower-is-better metric (rmse, mae) is mirrored (both sides change
sign); the mirror matters for the gap test: the gap is s * (M(0) - M_ref) with s = -1 for
lower-is-better metrics, and it must be clearly positive.

Uncertainty (the choice made here; seeds are the replicates): the point estimate is the ratio of
the means over the cell's seeds. Each seed s also gets its own ratio L_s = (M0_s - M_s(p)) /
(M0_s - Mref_s), where M0_s and Mref_s are the same seed's baselines (for a baseline from the p = 0
rows: their mean over seeds when that seed has none - a deterministic reference model is often
run once). The CI is centred on the point estimate with the per-seed spread:
L +/- t_{(1+c)/2, n-1} * sd(L_s) / sqrt(n), n = seeds with a finite L_s (``method`` = "t over
seeds"); NaN when n < 2. The gap gets the same treatment from g_s = s * (M0_s - Mref_s).
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd

from strikebench.analysis.aggregate import (
    T_OVER_SEEDS, as_results_table, attach_full_data, is_full_data, sign_of, t_half_width,
)
from strikebench.analysis.baselines import (
    REASON_NO_SAME_USERS, REFERENCE_KEYS, baseline_or_full_data, same_user_values,
)
from strikebench.analysis.table import CELL_KEYS, KEYS, SEED, VALUE

REFERENCE_MODEL = "Pop"

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
    ones; ``tolerance``: the smallest gap s * (M(0) - M_ref) counted as positive; ``confidence``:
    the CI level c. (Groups are always compared with the same users at p = 0: ``baselines.py``.)
    """

    reference_model: str = REFERENCE_MODEL
    lower_is_better: Collection[str] | None = None
    tolerance: float = 1e-9
    confidence: float = 0.95


def _from_full_data(rows: pd.DataFrame, full: pd.DataFrame, on: list[str]) -> np.ndarray:
    """Per row: the p = 0 value with the same seed, else the mean over the p = 0 seeds."""
    same = attach_full_data(rows, full, on + [SEED], "_same")["_same"].to_numpy(float)
    mean = attach_full_data(rows, full, on, "_mean")["_mean"].to_numpy(float)
    return np.where(np.isfinite(same), same, mean)


def _per_seed(table: pd.DataFrame, options: LossShareOptions) -> pd.DataFrame:
    """Every row with its M0_s, Mref_s and L_s (module docstring)."""
    rows = table.reset_index(drop=True)
    full = table[is_full_data(table["participation"])]
    own = _from_full_data(rows, full, [k for k in KEYS if k not in ("participation", SEED)])
    ref_full = full[(full["model"] == options.reference_model) & (full["company"] == "incumbent")]
    ref = _from_full_data(rows, ref_full.drop(columns=["model", "family", "company"]), list(REFERENCE_KEYS))
    out = rows[list(CELL_KEYS) + [SEED, VALUE]].copy()
    out["full_value"] = baseline_or_full_data(rows, same_user_values(rows), own)
    out["reference_value"] = baseline_or_full_data(rows, same_user_values(rows, options.reference_model), ref)
    out["same_users"] = np.isfinite(same_user_values(rows))
    s = sign_of(out["metric"], options.lower_is_better)
    denom = s * (out["full_value"] - out["reference_value"])
    positive = denom > options.tolerance
    out["gap"] = denom
    out["loss_share"] = np.where(positive, s * (out["full_value"] - out[VALUE]) / denom.where(positive, 1.0), np.nan)
    return out


def _cells(per_seed: pd.DataFrame, options: LossShareOptions) -> pd.DataFrame:
    """Means over seeds per cell, the gap's and L's t-intervals (module docstring)."""
    out = per_seed.groupby(list(CELL_KEYS), dropna=False).agg(
        value=(VALUE, "mean"), full_value=("full_value", "mean"), reference_value=("reference_value", "mean"),
        gap_sd=("gap", "std"), gap_n_seeds=("gap", "count"), ls_sd=("loss_share", "std"),
        n_seeds=("loss_share", "count"), same_users=("same_users", "any"),
    ).reset_index()
    out["gap"] = sign_of(out["metric"], options.lower_is_better) * (out["full_value"] - out["reference_value"])
    half = t_half_width(out["gap_n_seeds"], out["gap_sd"], options.confidence)
    out["gap_ci_low"], out["gap_ci_high"] = out["gap"] - half, out["gap"] + half
    out["loss_share"] = (out["full_value"] - out["value"]) / (out["full_value"] - out["reference_value"])
    half = t_half_width(out["n_seeds"], out["ls_sd"], options.confidence)
    out["ci_low"], out["ci_high"] = out["loss_share"] - half, out["loss_share"] + half
    return out.drop(columns=["gap_sd", "ls_sd"])


def personalisation_gap(table: pd.DataFrame, options: LossShareOptions = LossShareOptions()) -> pd.DataFrame:
    """The personalisation gap per cell: gap = s * (M(0) - M_ref), with a t-interval over seeds.

    s = +1 (higher is better) or -1 (lower is better). M(0) and M_ref are the same users' baselines
    (module docstring), means over the cell's seeds; gap CI = gap +/- t_{(1+c)/2, n-1} *
    sd(g_s) / sqrt(n) with g_s = s * (M0_s - Mref_s). Returns ``CELL_KEYS + [full_value,
    reference_value, gap, gap_ci_low, gap_ci_high, gap_n_seeds, method]``; cells without a
    baseline get NaN. ``options.tolerance`` is not used.
    """
    cells = _cells(_per_seed(as_results_table(table), options), options)
    columns = list(CELL_KEYS) + ["full_value", "reference_value", "gap", "gap_ci_low", "gap_ci_high", "gap_n_seeds"]
    return cells[columns].assign(method=T_OVER_SEEDS)


def loss_share_per_seed(table: pd.DataFrame, options: LossShareOptions = LossShareOptions()) -> pd.DataFrame:
    """Per-seed loss share L_s(p) = (M0_s - M_s(p)) / (M0_s - Mref_s).

    M0_s / Mref_s: the same seed's same-user baselines (module docstring). NaN where
    s * (M0_s - Mref_s) <= ``options.tolerance``. Returns ``CELL_KEYS + [seed, value, full_value,
    reference_value, loss_share]`` for every row of the table.
    """
    return loss_share_frames(table, options)[1]


def loss_share(table: pd.DataFrame, options: LossShareOptions = LossShareOptions()) -> pd.DataFrame:
    """Loss as a share of the personalisation gap per cell, L(p) = (M(0) - M(p)) / (M(0) - M_ref).

    Point estimate = ratio of the means over seeds; CI = L +/- t_{(1+c)/2, n-1} * sd(L_s) / sqrt(n)
    over the per-seed ratios (module docstring). L is NaN, with ``reason`` saying why, for the
    reference model itself, where the cell has no value, where a participants or non-participants
    row has no same-user baseline, where there is no reference or full-data value, where the gap
    s * (M(0) - M_ref) <= ``options.tolerance``, and where the gap's CI (more than one seed)
    includes 0. Returns ``CELL_KEYS + [loss_share, ci_low, ci_high, n_seeds, value, full_value,
    reference_value, gap, gap_ci_low, gap_ci_high, method, reason]``.
    """
    return loss_share_frames(table, options)[0]


def loss_share_frames(
    table: pd.DataFrame, options: LossShareOptions = LossShareOptions(),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(:func:`loss_share`, :func:`loss_share_per_seed`) computed once, for callers needing both."""
    per_seed = _per_seed(as_results_table(table), options)
    out = _cells(per_seed, options)
    reason = np.select(
        [out["model"] == options.reference_model,
         out["value"].isna(),
         (out["group"] != "all") & ~out["same_users"],
         out["full_value"].isna(),
         out["reference_value"].isna(),
         ~(out["gap"] > options.tolerance),
         out["gap_ci_low"] <= 0],
        [REASON_REFERENCE, REASON_NO_VALUE, REASON_NO_SAME_USERS, REASON_NO_FULL, REASON_NO_REFERENCE,
         REASON_GAP, REASON_GAP_CI],
        default="",
    )
    out["reason"] = reason
    undefined = out["reason"] != ""
    out.loc[undefined, ["loss_share", "ci_low", "ci_high"]] = np.nan
    out["n_seeds"] = out["n_seeds"].where(~undefined, 0).astype("int64")
    out["method"] = T_OVER_SEEDS
    columns = list(CELL_KEYS) + ["loss_share", "ci_low", "ci_high", "n_seeds", "value", "full_value",
                                 "reference_value", "gap", "gap_ci_low", "gap_ci_high", "method", "reason"]
    per_seed = per_seed.drop(columns=["gap", "same_users"])
    return out[columns], per_seed
