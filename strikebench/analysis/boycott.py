"""Data strike versus data boycott, from the per-user table (Vincent, Hecht & Sen 2019).

In a *data strike* participants delete their data but stay customers: everyone's hits count. In a
*data boycott* they also leave: their hits count as zero for the company and they are no longer
among its users. With h_u(p) the metric (e.g. ``hit@10``) of user u under the model trained at
participation p (same seed), P the participants and U all test users of the cell:

system view (the company: total hits over all users)
    baseline = sum_{u in U} h_u(0)
    strike   = sum_{u in U} h_u(p)
    boycott  = sum_{u in U \\ P} h_u(p)            (participants count as zero)
users' view (the experience of a customer: mean per user who is still a customer)
    baseline = mean_{u in U} h_u(0)
    strike   = mean_{u in U} h_u(p)
    boycott  = mean_{u in U \\ P} h_u(p)           (participants are no longer customers)

In each view: strike_loss = baseline - strike, boycott_loss = baseline - boycott, and the
boycott's loss splits into data_labor_power = strike_loss (what missing data costs) and
consumer_power = boycott_loss - strike_loss (what leaving adds; in the system view that is
the participants' own hits, sum_{u in P} h_u(p)). Relative measures: strike_loss_relative and
boycott_loss_relative = loss / baseline; data_labor_share and consumer_share = part /
boycott_loss. (System total / |U| is the mean over all users with leavers counted as zero.)

The baseline h_u(0) is the p = 0 run with the same study, dataset, model, company, view and seed
(same lever and selector if present, else pooled over levers and selectors); U is the same set of
users at p and at 0 in the holdout view (the fixed test set).
"""
from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from strikebench.analysis.aggregate import attach_full_data, is_full_data, summarise_cells
from strikebench.analysis.table import PARTICIPANT, PER_USER_KEYS, SEED, as_per_user, is_lower_better

PERSPECTIVES = ("system", "users")
MEASURES = ("baseline", "strike", "boycott", "strike_loss", "boycott_loss", "data_labor_power",
            "consumer_power", "strike_loss_relative", "boycott_loss_relative", "data_labor_share",
            "consumer_share")


def strike_vs_boycott(per_user: pd.DataFrame, metric: str = "hit@10",
                      lower_is_better: Collection[str] | None = None) -> pd.DataFrame:
    """Strike and boycott accounting per cell and seed, from the system and users' views.

    Formulas in the module docstring. ``metric`` must be higher-is-better (hits, ndcg, recall):
    a leaver "counting as zero" has no meaning for an error. Returns one row per
    ``PER_USER_KEYS`` x perspective x measure with ``value`` (long format; see :data:`MEASURES`).
    """
    if is_lower_better(metric, lower_is_better):
        raise ValueError(f"boycott accounting needs a higher-is-better metric, got {metric!r}")
    df = as_per_user(per_user, [metric])
    keys = list(PER_USER_KEYS)
    h = df[metric].astype(float)
    stay = ~df[PARTICIPANT].astype(bool)
    parts = df[keys].assign(_h=h, _h_stay=h.where(stay))
    cells = parts.groupby(keys, dropna=False).agg(
        total=("_h", "sum"), mean=("_h", "mean"), stay_total=("_h_stay", "sum"),
        stay_mean=("_h_stay", "mean"),
    ).reset_index()
    full = cells[is_full_data(cells["participation"])]
    on = [k for k in keys if k != "participation"]
    cells = attach_full_data(cells, full, on, "base_total", value="total")
    cells = attach_full_data(cells, full, on, "base_mean", value="mean")
    frames = []
    for perspective, base, strike, boycott in (("system", "base_total", "total", "stay_total"),
                                               ("users", "base_mean", "mean", "stay_mean")):
        b, s_, y = cells[base], cells[strike], cells[boycott]
        strike_loss, boycott_loss = b - s_, b - y
        consumer = boycott_loss - strike_loss
        with np.errstate(divide="ignore", invalid="ignore"):
            measures = {
                "baseline": b, "strike": s_, "boycott": y,
                "strike_loss": strike_loss, "boycott_loss": boycott_loss,
                "data_labor_power": strike_loss, "consumer_power": consumer,
                "strike_loss_relative": strike_loss / b.where(b != 0),
                "boycott_loss_relative": boycott_loss / b.where(b != 0),
                "data_labor_share": strike_loss / boycott_loss.where(boycott_loss != 0),
                "consumer_share": consumer / boycott_loss.where(boycott_loss != 0),
            }
        for name in MEASURES:
            frames.append(cells[keys].assign(perspective=perspective, measure=name,
                                             value=measures[name].to_numpy(float)))
    return pd.concat(frames, ignore_index=True)


def boycott_summary(per_user: pd.DataFrame, metric: str = "hit@10",
                    lower_is_better: Collection[str] | None = None,
                    confidence: float = 0.95) -> pd.DataFrame:
    """Mean over seeds and Student-t CI of every :func:`strike_vs_boycott` measure.

    mean +/- t_{(1+c)/2, n-1} * sd / sqrt(n) over seeds (NaN for one seed). Returns
    ``PER_USER_KEYS - seed + [perspective, measure, mean, sd, n_seeds, ci_low, ci_high]``.
    """
    long = strike_vs_boycott(per_user, metric, lower_is_better)
    keys = [k for k in PER_USER_KEYS if k != SEED] + ["perspective", "measure"]
    out = summarise_cells(long, keys, "value", confidence)
    order = {m: i for i, m in enumerate(MEASURES)}
    out = out.sort_values(keys[:-1] + ["measure"], key=lambda c: c.map(order) if c.name == "measure" else c,
                          kind="mergesort")
    return out.reset_index(drop=True)
