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
many seeds, e.g. the study's 250 draws); ``method`` says which. Both are clipped to [0, 1].
Leaving out seeds that never reach x biases the interval towards smaller p; read it together
with ``n_seeds_never``. Groups use the same users at p = 0, as the loss share does (``gap``).
"""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from strikebench.analysis.aggregate import as_results_table
from strikebench.analysis.crossing import level_crossings
from strikebench.analysis.gap import LossShareOptions, loss_share_frames
from strikebench.analysis.table import CELL_KEYS, CURVE_KEYS

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
    method, reason]``, one row per curve and level.
    """
    summary, per_seed = loss_share_frames(as_results_table(table), options)
    # a curve with no defined point carries the loss-share reason (e.g. "gap not positive")
    out = level_crossings(summary, per_seed, CELL_KEYS, CURVE_KEYS, "loss_share", levels, ci,
                          options.confidence, never=REASON_NEVER)
    columns = list(CURVE_KEYS) + ["level", "participation", "ci_low", "ci_high", "n_seeds",
                                  "n_seeds_never", "method", "reason"]
    return out[columns].reset_index(drop=True)
