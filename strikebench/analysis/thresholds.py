"""Participation at which the loss share first reaches a level ("30% striking removes half").

For each curve (a cell without its participation) and level x in ``levels`` (default 0.25, 0.5,
0.75): p_x = the first participation where the mean curve L(p) (``gap.loss_share``) reaches x,
linearly interpolated between the bracketing participations:

    p_x = p_{i-1} + (x - L(p_{i-1})) * (p_i - p_{i-1}) / (L(p_i) - L(p_{i-1}))

where p_i is the first participation with L(p_i) >= x (non-monotone curves: the first crossing);
NaN when the curve never reaches x (``reason = "never reached"``) or L is undefined on the whole
curve (``reason`` from ``gap.loss_share``).

CI (the choice made here): the same rule on every seed's own curve L_s(p); seeds whose curve
never reaches x are left out and counted in ``n_seeds_never``. ``ci="t"`` (default):
p_x +/- t_{(1+c)/2, n-1} * sd(p_x,s) / sqrt(n), centred on the mean-curve estimate;
``ci="percentile"``: the (1-c)/2 and (1+c)/2 quantiles of the per-seed thresholds (use it with
many seeds, e.g. the study's 250 draws). Leaving out seeds that never reach x biases the interval
towards smaller p; read it together with ``n_seeds_never``.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from strikebench.analysis.aggregate import as_results_table
from strikebench.analysis.crossing import crossing_table
from strikebench.analysis.gap import LossShareOptions, loss_share_frames
from strikebench.analysis.table import CELL_KEYS, CURVE_KEYS, SEED

LEVELS: tuple[float, ...] = (0.25, 0.5, 0.75)
REASON_NEVER = "never reached"


def participation_thresholds(
    table: pd.DataFrame,
    levels: Sequence[float] = LEVELS,
    ci: str = "t",
    options: LossShareOptions = LossShareOptions(),
) -> pd.DataFrame:
    """Participation p_x at which the loss share L(p) first reaches each x in ``levels``.

    p_x = p_{i-1} + (x - L_{i-1}) (p_i - p_{i-1}) / (L_i - L_{i-1}) at the first p_i with L_i >= x
    on the mean curve; NaN if never. CI from per-seed thresholds (module docstring); L(p) as
    ``options`` say (:class:`~strikebench.analysis.gap.LossShareOptions`).
    Returns ``CURVE_KEYS + [level, participation, ci_low, ci_high, n_seeds, n_seeds_never,
    reason]``, one row per curve and level.
    """
    table = as_results_table(table)
    summary, per_seed = loss_share_frames(table, options)
    defined = summary[summary["reason"] == ""]
    # only per-seed points of cells where the mean is defined
    per_seed = per_seed.merge(defined[list(CELL_KEYS)], on=list(CELL_KEYS), how="inner")
    curves = summary[list(CURVE_KEYS)].drop_duplicates().reset_index(drop=True)
    targets = curves.merge(pd.DataFrame({"level": [float(x) for x in levels]}), how="cross")
    out = crossing_table(defined, per_seed, targets, CURVE_KEYS, "loss_share", "up", ci,
                         options.confidence, SEED)
    out["reason"] = np.where(out["participation"].isna(), REASON_NEVER, "")
    # a curve with no defined point: carry the loss-share reason (e.g. "gap not positive")
    why = (summary[summary["reason"] != ""].groupby(list(CURVE_KEYS), dropna=False)["reason"].first()
           .rename("_why").reset_index())
    out = out.merge(why, on=list(CURVE_KEYS), how="left")
    with_points = pd.MultiIndex.from_frame(defined[list(CURVE_KEYS)].drop_duplicates())
    has_points = pd.MultiIndex.from_frame(out[list(CURVE_KEYS)]).isin(with_points)
    out.loc[~has_points, "reason"] = out.loc[~has_points, "_why"]
    columns = list(CURVE_KEYS) + ["level", "participation", "ci_low", "ci_high", "n_seeds",
                                  "n_seeds_never", "reason"]
    return out[columns].reset_index(drop=True)
