"""The study chart's numbers: a metric against participation per model family, with seed bands.

Per seed, the models of a family are averaged first; the curve is then the mean over seeds, its
band the mean ± sd over seeds (no band from one seed). The sweep's W&B summary run plots these
(strikebench.tracking.wandb_sweep); :func:`plot_families` draws them as a PNG beside it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

KEYS = ["dataset", "lever", "selector", "family"]
CURVE_COLUMNS = ["curve", "group", "participation", "mean", "sd", "seeds"]


def family_curves(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` (sweep_summary.cell_rows: one per cell and group) -> one row per curve, group and p:
    ``curve`` (the family, with dataset / lever / selector when the sweep holds several), mean,
    sd over seeds (NaN from one seed) and the number of seeds with a value."""
    rows = rows.assign(family=rows["family"].fillna("unknown"))
    per_seed = (rows.dropna(subset=["value"])
                .groupby([*KEYS, "group", "participation", "seed"], sort=True)["value"].mean().reset_index())
    stats = (per_seed.groupby([*KEYS, "group", "participation"], sort=True)["value"]
             .agg(mean="mean", sd="std", seeds="count").reset_index())
    if stats.empty:  # no value anywhere (e.g. every group empty): no curve
        return pd.DataFrame(columns=CURVE_COLUMNS)
    varying = [k for k in ("dataset", "lever", "selector") if rows[k].nunique() > 1]
    stats["curve"] = stats[["family", *varying]].astype(str).agg(" · ".join, axis=1)
    return stats[CURVE_COLUMNS]


def chart_rows(curves: pd.DataFrame, group: str) -> list[list]:
    """One group's curves as W&B line-chart rows [participation, value, line]: each curve's mean,
    and its band's edges as the lines ``<curve> -sd`` and ``<curve> +sd`` where there is a band."""
    out = []
    for _, r in curves[curves["group"] == group].sort_values(["curve", "participation"]).iterrows():
        out.append([float(r["participation"]), float(r["mean"]), r["curve"]])
        if np.isfinite(r["sd"]):
            out.append([float(r["participation"]), float(r["mean"] - r["sd"]), f"{r['curve']} -sd"])
            out.append([float(r["participation"]), float(r["mean"] + r["sd"]), f"{r['curve']} +sd"])
    return out


def plot_families(curves: pd.DataFrame, metric: str, path: Path) -> Path:
    """The curves as the sweep plot draws models: one panel per group, mean ± sd bands."""
    from strikebench.reporting.sweep_summary import draw_panels

    cells = pd.DataFrame({"model": curves["curve"], "group": curves["group"], "participation": curves["participation"],
                          "mean": curves["mean"], "ci_low": curves["mean"] - curves["sd"],
                          "ci_high": curves["mean"] + curves["sd"]})
    draw_panels(cells, metric, f"{metric} per model family (mean ± sd over seeds)", path)
    return path
