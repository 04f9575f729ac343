"""Where a curve over participation first reaches a level, with a CI over seeds.

Shared by thresholds (loss share reaches x), back in time (a model falls to an older model's
level) and DLP (participation needed for a given leverage).

Rules, for points (p_1, y_1), ..., (p_n, y_n) sorted by p with NaN points dropped and a level x:
- ``"interpolated"`` (default): direction ``"up"``: the first point with y_i >= x is *reached*;
  ``"down"``: the first with y_i <= x. i = 1 (already there at the smallest p): the crossing is
  p_1; otherwise p* = p_{i-1} + (x - y_{i-1}) * (p_i - p_{i-1}) / (y_i - y_{i-1}).
- ``"smallest_exceeding"``: the smallest measured p_i with y_i > x (``"down"``: y_i < x), no
  interpolation - the rule of Vincent & Hecht's DLP "achieves at" table.
- no point reaches x: NaN. Non-monotone curves give the *first* crossing in p.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from strikebench.analysis.aggregate import T_OVER_SEEDS, t_half_width

DIRECTIONS = ("up", "down")
RULES = ("interpolated", "smallest_exceeding")
PERCENTILE_OVER_SEEDS = "percentile over seeds"


def first_crossing(participation: Sequence[float], values: Sequence[float], level: float,
                   direction: str = "up", rule: str = "interpolated") -> float:
    """First participation where the curve reaches ``level``; NaN if it never does.

    See the module docstring for the rules. ``direction="up"`` looks for y >= level (y > level
    under ``rule="smallest_exceeding"``), ``"down"`` for y <= level (y < level).
    """
    frame = pd.DataFrame({"participation": np.asarray(participation, dtype=float),
                          "y": np.asarray(values, dtype=float)})
    targets = pd.DataFrame({"_curve": [0], "level": [float(level)]})
    frame["_curve"] = 0
    found = first_crossings(frame, targets, ["_curve"], "y", direction, rule=rule)["participation"]
    return float(found.iloc[0]) if len(found) else float("nan")


def first_crossings(curves: pd.DataFrame, targets: pd.DataFrame, by: Sequence[str], y: str,
                    direction: str = "up", within: Sequence[str] = (), rule: str = "interpolated") -> pd.DataFrame:
    """Vectorised :func:`first_crossing` for many curves and levels.

    ``curves`` has ``by + within + [participation, y]``; ``targets`` has ``by`` and ``level`` (one
    row per level to look for on the curve named by ``by``). Each target is looked for separately
    in every ``within`` sub-curve (e.g. ``["seed"]`` for per-seed curves).
    Returns ``targets`` (one row per target x within-group that has points) with ``within``,
    ``participation`` (NaN when never reached) and ``n_points``.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    by, within = list(by), list(within)
    targets = targets.reset_index(drop=True).copy()
    targets["_target"] = np.arange(len(targets))
    pts = curves[by + within + ["participation", y]]
    pts = pts[pts[y].notna()]
    df = targets[by + ["_target", "level"]].merge(pts, on=by, how="inner")
    tkeys = ["_target"] + within
    df = df.sort_values(tkeys + ["participation"], kind="mergesort").reset_index(drop=True)
    sign = 1.0 if direction == "up" else -1.0
    g = sign * (df[y].to_numpy(float) - df["level"].to_numpy(float))  # reached where g >= 0
    p = df["participation"].to_numpy(float)
    rank = df.groupby(tkeys, sort=False).cumcount().to_numpy()
    df["_reached"] = g >= 0 if rule == "interpolated" else g > 0
    hit = df[df["_reached"]].groupby(tkeys, sort=False).head(1).index.to_numpy()
    crossing = p[hit].copy()
    has_prev = (rank[hit] > 0) & (rule == "interpolated")
    i, j = hit[has_prev] - 1, hit[has_prev]
    # g_i < 0 <= g_j on the segment: the level sits where g = 0.
    crossing[has_prev] = p[i] + (0.0 - g[i]) * (p[j] - p[i]) / (g[j] - g[i])
    found = df.loc[hit, tkeys].assign(participation=crossing)
    groups = df.groupby(tkeys, sort=False).size().rename("n_points").reset_index()
    out = groups.merge(found, on=tkeys, how="left")
    out = targets.merge(out, on="_target", how="inner").sort_values(tkeys, kind="mergesort")
    return out.drop(columns="_target").reset_index(drop=True)


def crossing_table(mean_curve: pd.DataFrame, seed_curves: pd.DataFrame, targets: pd.DataFrame,
                   by: Sequence[str], y: str, direction: str = "up", ci: str = "t",
                   confidence: float = 0.95, seed: str = "seed", rule: str = "interpolated") -> pd.DataFrame:
    """Crossing of the mean curve, with a CI from the crossings of the per-seed curves.

    Point estimate: :func:`first_crossing` (``rule``) on the mean curve (``mean_curve``: ``by +
    [participation, y]``). Per seed: the same rule on that seed's curve (``seed_curves``: ``by +
    [seed, participation, y]``); seeds that never reach the level are left out of the CI and
    counted in ``n_seeds_never``. ``ci="t"``: point +/- t_{(1+c)/2, n-1} * sd(per-seed crossings)
    / sqrt(n), centred on the point estimate (NaN for n < 2). ``ci="percentile"``: the (1-c)/2 and
    (1+c)/2 quantiles of the per-seed crossings (linear interpolation; NaN for n < 2). Either is
    clipped to [0, 1], the range of a participation. Returns ``targets`` plus participation,
    ci_low, ci_high, n_seeds, n_seeds_never, method.
    """
    if ci not in ("t", "percentile"):
        raise ValueError(f"ci must be 't' or 'percentile', got {ci!r}")
    by = list(by)
    targets = targets.reset_index(drop=True).copy()
    targets["_t"] = np.arange(len(targets))
    point = first_crossings(mean_curve, targets, by, y, direction, rule=rule)[["_t", "participation"]]
    per_seed = first_crossings(seed_curves, targets, by, y, direction, within=[seed], rule=rule)
    per_seed = per_seed[["_t", seed, "participation"]]
    grouped = per_seed.groupby("_t")["participation"]
    stats_ = grouped.agg(n_seeds="count", n_total="size", sd="std").reset_index()
    if ci == "percentile":
        for name, q in (("q_low", (1 - confidence) / 2), ("q_high", (1 + confidence) / 2)):
            stats_ = stats_.merge(grouped.quantile(q).rename(name).reset_index(), on="_t", how="left")
    else:
        stats_["q_low"] = stats_["q_high"] = np.nan
    out = targets.merge(point, on="_t", how="left").merge(stats_, on="_t", how="left")
    out["n_seeds"] = out["n_seeds"].fillna(0).astype("int64")
    out["n_seeds_never"] = (out["n_total"].fillna(0) - out["n_seeds"]).astype("int64")
    if ci == "t":
        half = t_half_width(out["n_seeds"], out["sd"], confidence)
        out["ci_low"] = out["participation"] - half
        out["ci_high"] = out["participation"] + half
    else:
        few = out["n_seeds"] < 2
        out["ci_low"] = out["q_low"].where(~few)
        out["ci_high"] = out["q_high"].where(~few)
    out["ci_low"], out["ci_high"] = out["ci_low"].clip(0.0, 1.0), out["ci_high"].clip(0.0, 1.0)
    out["method"] = T_OVER_SEEDS if ci == "t" else PERCENTILE_OVER_SEEDS
    return out.drop(columns=["_t", "n_total", "sd", "q_low", "q_high"])


def crossing_reasons(out: pd.DataFrame, summary: pd.DataFrame, by: Sequence[str],
                     never: str = "never reached") -> np.ndarray:
    """The ``reason`` of each crossing in ``out``: ``never`` where it is NaN, "" where found, and for
    a curve with no defined point in ``summary`` (its rows all have a ``reason``) that reason."""
    by = list(by)
    reason = pd.Series(np.where(out["participation"].isna(), never, ""), index=out.index)
    undefined = summary[summary["reason"] != ""]
    why = undefined.groupby(by, dropna=False)["reason"].first().rename("_why").reset_index()
    why = out[by].merge(why, on=by, how="left")["_why"].to_numpy()
    defined = pd.MultiIndex.from_frame(summary.loc[summary["reason"] == "", by].drop_duplicates())
    no_points = ~pd.MultiIndex.from_frame(out[by]).isin(defined) & pd.notna(why)
    reason[no_points] = why[no_points]
    return reason.to_numpy()


def level_crossings(summary: pd.DataFrame, per_seed: pd.DataFrame, cell_keys: Sequence[str],
                    curve_keys: Sequence[str], y: str, levels: Sequence[float], ci: str = "t",
                    confidence: float = 0.95, rule: str = "interpolated", never: str = "never reached",
                    extra: Sequence[str] = ()) -> pd.DataFrame:
    """Where each curve of ``summary`` (one row per cell, ``y`` and ``reason``) first reaches each level.

    Only cells with an empty ``reason`` count; ``per_seed`` (one row per cell and seed) gives the
    CI through :func:`crossing_table`. ``extra`` are per-curve columns carried along (e.g. DLP's
    variant). Returns ``curve_keys + extra + [level, participation, ci_low, ci_high, n_seeds,
    n_seeds_never, method, reason]``.
    """
    cell_keys, curve_keys = list(cell_keys), list(curve_keys)
    defined = summary[summary["reason"] == ""]
    per_seed = per_seed.merge(defined[cell_keys], on=cell_keys, how="inner")
    curves = summary[curve_keys + list(extra)].drop_duplicates().reset_index(drop=True)
    targets = curves.merge(pd.DataFrame({"level": [float(x) for x in levels]}), how="cross")
    out = crossing_table(defined, per_seed, targets, curve_keys, y, "up", ci, confidence, "seed", rule=rule)
    out["reason"] = crossing_reasons(out, summary, curve_keys, never)
    return out
