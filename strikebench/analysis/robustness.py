"""Robustness summaries for ranking models: L at a chosen p, the area under the degradation
curve, per-user losses for paired tests, and targeted strikes' change for the same users.

- ``loss_share_at(table, p)``: L(p) of ``gap.loss_share`` at one participation. Where p was not
  measured, L is interpolated linearly between the two measured points around it (on the mean
  curve for the estimate, on each seed's curve for the CI), and ``interpolated`` says so.
- ``degradation_auc(table)``: A = 1/(p_max - p_min) * integral of r(p) dp over the measured
  points (trapezoid rule), with r(p) = M(p) / M(0) (M(0) / M(p) for lower-is-better metrics).
  A = 1: nothing lost anywhere on the curve; smaller: more lost. Defined for every model,
  including the reference model, for which L is not.
- ``per_user_loss_share(per_user, per_seed_gap, metric, p)``: l_u = (h_u(0) - h_u(p)) / g_s, the
  user's share of the seed's personalisation gap; its mean over the test users of a seed is
  that seed's L_s(p) (same users at 0 and p in the holdout view), so a paired test on l_u
  compares the loss shares that rank the models.
- ``group_changes(per_user, metric)``: per targeted cell and group, the mean over the group's
  users of h_u(p) - h_u(0), the same users at p = 0 (same model, company, view and seed; p = 0
  pooled over levers and selectors), and the change relative to their p = 0 mean; means over
  seeds with t-intervals.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from strikebench.analysis.aggregate import (
    T_OVER_SEEDS, as_results_table, attach_full_data, is_full_data, sign_of, summarise_cells, t_interval,
)
from strikebench.analysis.gap import LossShareOptions, loss_share_frames
from strikebench.analysis.table import CELL_KEYS, CURVE_KEYS, PER_USER_KEYS, SEED, VALUE, as_per_user

_TOL = 1e-9
#: The same user at p = 0: same study, dataset, model, company, view and seed.
SAME_USER: tuple[str, ...] = ("study", "dataset", "model", "company", "view", SEED, "user")


def _interpolate(ps: np.ndarray, ys: np.ndarray, p: float) -> float:
    """Linear interpolation at p over sorted points; NaN outside [min p, max p]."""
    ok = ~np.isnan(ys)
    ps, ys = ps[ok], ys[ok]
    if len(ps) == 0 or p < ps[0] - _TOL or p > ps[-1] + _TOL:
        return float("nan")
    return float(np.interp(p, ps, ys))


def loss_share_at(table: pd.DataFrame, p: float = 0.3,
                  options: LossShareOptions = LossShareOptions()) -> pd.DataFrame:
    """L(p) per curve, interpolated where p is not a measured participation.

    Returns ``CURVE_KEYS + [participation, loss_share, ci_low, ci_high, n_seeds, interpolated,
    reason, method]`` (the CI: t over seeds). ``reason`` is "" where L is defined, the loss-share
    reason where the curve has no defined L at p, or "p=… outside the measured participations [a, b]".
    """
    summary, per_seed = loss_share_frames(as_results_table(table), options)
    rows = []
    for curve, points in summary.groupby(list(CURVE_KEYS), dropna=False, sort=True):
        entry = dict(zip(CURVE_KEYS, curve))
        points = points.sort_values("participation")
        measured = points[np.isclose(points["participation"], p, rtol=0, atol=_TOL)]
        entry.update(participation=p, interpolated=False, loss_share=np.nan, ci_low=np.nan,
                     ci_high=np.nan, n_seeds=0, reason="")
        if len(measured):
            m = measured.iloc[0]
            entry.update(loss_share=m["loss_share"], ci_low=m["ci_low"], ci_high=m["ci_high"],
                         n_seeds=int(m["n_seeds"]), reason=m["reason"])
            rows.append(entry)
            continue
        defined = points[points["reason"] == ""]
        if defined.empty:
            why = points["reason"].iloc[0] if len(points) else "no value"
            entry["reason"] = why
            rows.append(entry)
            continue
        ps = defined["participation"].to_numpy(float)
        point = _interpolate(ps, defined["loss_share"].to_numpy(float), p)
        if np.isnan(point):
            entry["reason"] = f"p={p:g} outside the measured participations [{ps.min():g}, {ps.max():g}]"
            rows.append(entry)
            continue
        seeds = per_seed.merge(defined[list(CELL_KEYS)], on=list(CELL_KEYS))
        per_seed_at = [
            _interpolate(s["participation"].to_numpy(float), s["loss_share"].to_numpy(float), p)
            for _, s in seeds.sort_values("participation").groupby(SEED)
        ]
        _, low, high, n = t_interval(per_seed_at, options.confidence)
        half = (high - low) / 2 if n >= 2 else np.nan
        entry.update(loss_share=point, ci_low=point - half, ci_high=point + half, n_seeds=n,
                     interpolated=True)
        rows.append(entry)
    columns = list(CURVE_KEYS) + ["participation", "loss_share", "ci_low", "ci_high", "n_seeds",
                                  "interpolated", "reason"]
    return pd.DataFrame(rows, columns=columns).assign(method=T_OVER_SEEDS)


def degradation_auc(table: pd.DataFrame, lower_is_better=None) -> pd.DataFrame:
    """Normalised area under r(p) = M(p) / M(0) per curve (module docstring).

    Returns ``CURVE_KEYS + [auc, p_min, p_max, n_points, reason]``; NaN with a reason for a curve
    with fewer than two points or no full-data value.
    """
    table = as_results_table(table)
    cells = summarise_cells(table, CELL_KEYS, VALUE)
    full = cells[is_full_data(cells["participation"])].rename(columns={"mean": VALUE})
    on = [k for k in CELL_KEYS if k != "participation"]
    cells = attach_full_data(cells, full, on, "full_value")
    higher = sign_of(cells["metric"], lower_is_better) > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        cells["r"] = np.where(higher, cells["mean"] / cells["full_value"], cells["full_value"] / cells["mean"])
    rows = []
    for curve, pts in cells.groupby(list(CURVE_KEYS), dropna=False, sort=True):
        pts = pts.dropna(subset=["r"]).sort_values("participation")
        ps, rs = pts["participation"].to_numpy(float), pts["r"].to_numpy(float)
        if len(ps) and ps[0] > _TOL:  # the curve's own p = 0 row may be pooled from another lever
            ps, rs = np.concatenate([[0.0], ps]), np.concatenate([[1.0], rs])
        entry = dict(zip(CURVE_KEYS, curve), auc=np.nan, p_min=np.nan, p_max=np.nan, n_points=len(ps), reason="")
        if pts["full_value"].isna().all():
            entry["reason"] = "no full-data value"
        elif len(ps) < 2:
            entry["reason"] = "fewer than two participations"
        else:
            area = float(np.sum((ps[1:] - ps[:-1]) * (rs[1:] + rs[:-1]) / 2))
            entry.update(auc=area / (ps[-1] - ps[0]), p_min=ps[0], p_max=ps[-1])
        rows.append(entry)
    return pd.DataFrame(rows, columns=list(CURVE_KEYS) + ["auc", "p_min", "p_max", "n_points", "reason"])


def per_user_loss_share(per_user: pd.DataFrame, per_seed_gap: pd.DataFrame, metric: str,
                        p: float) -> pd.DataFrame:
    """l_u = (h_u(0) - h_u(p)) / g_s for the rows of ``per_user`` at participation ``p``.

    ``per_seed_gap`` has ``[(study,) dataset, model, view, seed, gap]`` (g_s = s * (M0_s - Mref_s),
    e.g. from ``loss_share_per_seed``). h_u(0): the same user's p = 0 value with the same study,
    dataset, model, company, view and seed, pooled over levers and selectors. Returns the p rows with
    ``metric`` replaced by l_u (NaN where the user has no p = 0 value or g_s is missing).
    """
    per_user = as_per_user(per_user, [metric])
    at_p = per_user[np.isclose(per_user["participation"], p, rtol=0, atol=_TOL)]
    gap_on = [k for k in ("study", "dataset", "model", "view", SEED) if k in per_seed_gap.columns]
    out = at_p.merge(_same_user_p0(per_user, metric), on=list(SAME_USER), how="left")
    out = out.merge(per_seed_gap, on=gap_on, how="left")
    with np.errstate(divide="ignore", invalid="ignore"):
        out[metric] = (out["_h0"] - out[metric]) / out["gap"]
    return out.drop(columns=["_h0", "gap"])


def _same_user_p0(per_user: pd.DataFrame, metric: str) -> pd.DataFrame:
    """h_u(0) per (study, dataset, model, company, view, seed, user), pooled over levers and selectors."""
    full = per_user[is_full_data(per_user["participation"])]
    return full.groupby(list(SAME_USER), dropna=False)[metric].mean().rename("_h0").reset_index()


def group_changes(per_user: pd.DataFrame, metric: str, confidence: float = 0.95) -> pd.DataFrame:
    """Change for the same users against p = 0, per cell and group (module docstring).

    Returns ``PER_USER_KEYS - seed + [group, value, baseline, change, relative_change,
    relative_ci_low, relative_ci_high, n_seeds, n_users]`` for every cell with p > 0.
    """
    keys = list(PER_USER_KEYS)
    per_user = as_per_user(per_user, [metric])
    acted = per_user[~is_full_data(per_user["participation"])]
    acted = acted.merge(_same_user_p0(per_user, metric), on=list(SAME_USER), how="inner")
    frames = []
    for group, mask in (("all", None), ("participants", True), ("non_participants", False)):
        rows = acted if mask is None else acted[acted["participant"] == mask]
        per_seed = rows.groupby(keys, dropna=False).agg(
            value=(metric, "mean"), baseline=("_h0", "mean"), n_users=("user", "size")).reset_index()
        per_seed["group"] = group
        frames.append(per_seed)
    per_seed = pd.concat(frames, ignore_index=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_seed["change"] = per_seed["value"] - per_seed["baseline"]
        per_seed["relative_change"] = per_seed["change"] / per_seed["baseline"]
    cell = [k for k in keys if k != SEED] + ["group"]
    out = per_seed.groupby(cell, dropna=False).agg(
        value=("value", "mean"), baseline=("baseline", "mean"), change=("change", "mean"),
        n_users=("n_users", "mean")).reset_index()
    rel = summarise_cells(per_seed, cell, "relative_change", confidence)
    out = out.merge(rel.rename(columns={"mean": "relative_change", "ci_low": "relative_ci_low",
                                        "ci_high": "relative_ci_high"}).drop(columns="sd"), on=cell, how="left")
    return out


__all__ = ["degradation_auc", "group_changes", "loss_share_at", "per_user_loss_share"]
