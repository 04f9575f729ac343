"""Data Leverage Power (Vincent & Hecht, "Conscious Data Contribution", CSCW 2021).

DLP puts a company's performance on a scale from *worst* W to *best* B. With C = competitor(p),
I = incumbent(p):

- CDC only (lever ``transfer``):              DLP = (C - W) / (B - W)
- CDC plus strike (lever ``transfer+strike``): DLP = (C - W) / (I - W), only for p <= 0.5
- strike only (lever ``strike``, ``cdc_strike``): DLP = 1 - (I - W) / (B - W)

A lever label with settings, e.g. ``transfer(base_share=0.0)`` as strikebench writes it, takes the
variant of its name. W and B are by default the worst and best values observed in the study, as
in the paper's code (``dlp_scale.py``); explicit values stay options.

Lower-is-better metrics (rmse, mae) are mirrored: every ratio is unchanged by the sign flip, but
the worst observed value becomes the *largest*. A denominator, s * (B - W) (s * (I - W) for CDC
plus strike), must exceed ``min_denominator`` x max(|B|, |W|) (1% of the values' size by default),
else DLP is NaN with a reason instead of a wild ratio.

"Achieves at" (:func:`participation_for_dlp`): by default the paper's rule, the smallest
measured participation whose mean DLP exceeds the level (``achieves_at="smallest_exceeding"``);
``achieves_at="interpolated"`` interpolates linearly between the bracketing participations.

Uncertainty (seeds are the replicates): point estimate from the means over seeds; per-seed DLP_s
uses the same seed's C and I (and B_s with ``best="full_data"``); CI = DLP +/-
t_{(1+c)/2, n-1} * sd(DLP_s) / sqrt(n) (``method`` = "t over seeds"), clipped to [0, 1] for the
transfer and strike variants on the observed scale (where every value lies in it).
"""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from strikebench.analysis.aggregate import T_OVER_SEEDS, as_results_table, sign_of, t_half_width
from strikebench.analysis.crossing import RULES, level_crossings
from strikebench.analysis.dlp_scale import best_values, is_observed_scale, worst_values
from strikebench.analysis.table import CELL_KEYS, SEED, VALUE
from strikebench.results.vocabulary import VIEWS

REFERENCE_MODEL = "Pop"
VARIANT_NAMES = ("transfer", "transfer+strike", "strike")
#: lever name -> DLP variant
VARIANTS: dict[str, str] = {"transfer": "transfer", "transfer+strike": "transfer+strike", "strike": "strike",
                            "cdc_strike": "strike"}  # the strike-only arm of the transfer study
#: keys of a DLP cell: a results cell without its company (DLP combines the two companies)
DLP_KEYS: tuple[str, ...] = tuple(k for k in CELL_KEYS if k != "company")
DLP_CURVE_KEYS: tuple[str, ...] = tuple(k for k in DLP_KEYS if k != "participation")
DLP_LEVELS: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.9)
MAX_PARTICIPATION_TRANSFER_STRIKE = 0.5
MIN_DENOMINATOR = 0.01
_FLOOR = 1e-12

REASON_P = "participation > 0.5"
REASON_NO_COMPETITOR = "no competitor value"
REASON_NO_INCUMBENT = "no incumbent value"
REASON_NO_BEST = "no best value"
REASON_NO_WORST = "no worst value"
REASON_SCALE = "best - worst below the tolerance (min_denominator)"
REASON_INCUMBENT = "incumbent - worst below the tolerance (min_denominator)"
REASON_NEVER = "never reached"


@dataclass(frozen=True)
class DLPOptions:
    """How DLP is measured; shared by :func:`data_leverage_power`, :func:`dlp_per_seed` and
    :func:`participation_for_dlp`.

    ``worst``: None / ``"observed"`` (default), ``"reference"`` (``reference_model`` on full data), a
    number or ``{metric: number}``; ``best``: None / ``"observed"`` (default), ``"full_data"`` (the
    incumbent's same model at p = 0), a number or ``{metric: number}`` (``dlp_scale.py``);
    ``variants``: lever name -> DLP variant, other levers ignored; ``lower_is_better``: metrics
    with s = -1 besides the known ones; ``min_denominator``: the smallest denominator, as a share
    of max(|B|, |W|); ``max_participation``: the largest p for transfer+strike; ``achieves_at``:
    ``"smallest_exceeding"`` (the paper's rule) or ``"interpolated"``; ``confidence``: the CI level c.
    """

    worst: None | str | float | Mapping[str, float] = None
    best: None | str | float | Mapping[str, float] = None
    reference_model: str = REFERENCE_MODEL
    variants: Mapping[str, str] = field(default_factory=lambda: dict(VARIANTS))
    lower_is_better: Collection[str] | None = None
    min_denominator: float = MIN_DENOMINATOR
    max_participation: float = MAX_PARTICIPATION_TRANSFER_STRIKE
    achieves_at: str = "smallest_exceeding"
    confidence: float = 0.95


def variant_of(lever: str, variants: Mapping[str, str]) -> str | None:
    """The DLP variant of a lever label: the label itself in ``variants``, else its name before
    its settings (``transfer(base_share=0.0)`` -> ``transfer``); None for other levers."""
    if lever in variants:
        return variants[lever]
    return variants.get(str(lever).split("(", 1)[0])


def _check(options: DLPOptions) -> None:
    unknown = sorted(set(options.variants.values()) - set(VARIANT_NAMES))
    if unknown:
        raise ValueError(f"unknown DLP variant {unknown[0]!r} (allowed: {', '.join(VARIANT_NAMES)})")
    if not 0 <= options.min_denominator < 1:
        raise ValueError(f"min_denominator must be in [0, 1), got {options.min_denominator!r}")
    if options.achieves_at not in RULES:
        raise ValueError(f"achieves_at must be one of {RULES}, got {options.achieves_at!r}")


def _dlp(frame: pd.DataFrame, best: str, options: DLPOptions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(DLP, scale ok, incumbent ok) per row from its competitor, incumbent, ``best`` and worst columns."""
    v, w = frame["variant"].to_numpy(), frame["worst"].to_numpy(float)
    c, i, b = (frame[x].to_numpy(float) for x in ("competitor_value", "incumbent_value", best))
    sign = sign_of(frame["metric"], options.lower_is_better)
    # a denominator must exceed min_denominator x the size of the values, e.g. 1% of |B|
    floor = np.maximum(options.min_denominator * np.fmax(np.abs(b), np.abs(w)), _FLOOR)
    scale_ok = sign * (b - w) > floor
    inc_ok = sign * (i - w) > floor
    with np.errstate(divide="ignore", invalid="ignore"):
        dlp = np.select(
            [(v == "transfer") & scale_ok, (v == "strike") & scale_ok, (v == "transfer+strike") & inc_ok],
            [(c - w) / (b - w), 1.0 - (i - w) / (b - w), (c - w) / (i - w)], default=np.nan)
    return dlp, scale_ok, inc_ok


def _frames(table, options: DLPOptions):
    _check(options)
    table = as_results_table(table)
    variant = table["lever"].map(lambda lever: variant_of(lever, options.variants))
    acting = variant.notna()
    keys = list(DLP_KEYS) + [SEED]
    rows = table[acting].assign(variant=variant[acting])
    inc = rows[rows["company"] == "incumbent"][keys + ["variant", VALUE]].rename(columns={VALUE: "incumbent_value"})
    comp = rows[rows["company"] == "competitor"][keys + ["variant", VALUE]].rename(columns={VALUE: "competitor_value"})
    seeds = inc.merge(comp, on=keys + ["variant"], how="outer")
    seeds["best"], seeds["best_seed"] = best_values(table, seeds, acting, options)
    seeds["worst"] = worst_values(table, seeds, acting, options)
    too_many = (seeds["variant"] == "transfer+strike") & (seeds["participation"] > options.max_participation + 1e-12)
    seeds["dlp"] = np.where(too_many, np.nan, _dlp(seeds, "best_seed", options)[0])

    # means over seeds per DLP cell
    cells = seeds.groupby(list(DLP_KEYS), dropna=False).agg(
        variant=("variant", "first"), competitor_value=("competitor_value", "mean"),
        incumbent_value=("incumbent_value", "mean"), best=("best", "first"), worst=("worst", "first"),
        _sd=("dlp", "std"), n_seeds=("dlp", "count"),
    ).reset_index()
    cells["dlp"], scale_ok, inc_ok = _dlp(cells, "best", options)
    half = t_half_width(cells["n_seeds"], cells["_sd"], options.confidence)
    cells["ci_low"], cells["ci_high"] = cells["dlp"] - half, cells["dlp"] + half
    if is_observed_scale(options):  # W and B bound every value: DLP of transfer / strike is in [0, 1]
        bounded = cells["variant"].isin(["transfer", "strike"])
        for column in ("ci_low", "ci_high"):
            cells.loc[bounded, column] = cells.loc[bounded, column].clip(0.0, 1.0)

    v = cells["variant"]
    needs_c = v.isin(["transfer", "transfer+strike"])
    needs_b = v.isin(["transfer", "strike"])
    cells["reason"] = np.select(
        [(v == "transfer+strike") & (cells["participation"] > options.max_participation + 1e-12),
         needs_c & cells["competitor_value"].isna(),
         cells["worst"].isna(),
         ((v == "strike") | (v == "transfer+strike")) & cells["incumbent_value"].isna(),
         needs_b & cells["best"].isna(),
         needs_b & ~scale_ok,
         (v == "transfer+strike") & ~inc_ok],
        [REASON_P, REASON_NO_COMPETITOR, REASON_NO_WORST, REASON_NO_INCUMBENT, REASON_NO_BEST,
         REASON_SCALE, REASON_INCUMBENT],
        default="")
    undefined = cells["reason"] != ""
    cells.loc[undefined, ["dlp", "ci_low", "ci_high"]] = np.nan
    cells["n_seeds"] = cells["n_seeds"].where(~undefined, 0).astype("int64")
    cells["method"] = T_OVER_SEEDS
    columns = list(DLP_KEYS) + ["variant", "dlp", "ci_low", "ci_high", "n_seeds", "competitor_value",
                                "incumbent_value", "best", "worst", "method", "reason"]
    seed_columns = list(DLP_KEYS) + [SEED, "variant", "dlp", "competitor_value", "incumbent_value",
                                     "best_seed", "worst"]
    return cells[columns].reset_index(drop=True), seeds[seed_columns].reset_index(drop=True)


def data_leverage_power(table: pd.DataFrame, options: DLPOptions = DLPOptions()) -> pd.DataFrame:
    """DLP per cell (company combined): transfer (C - W)/(B - W); transfer+strike (C - W)/(I - W)
    for p <= 0.5; strike 1 - (I - W)/(B - W).

    C, I = competitor / incumbent means over seeds at p; W, B = ``options.worst`` / ``options.best``
    (default: observed in the study). ``options.variants`` maps lever names (or their names before
    the settings) to variants; other levers are ignored. CI = DLP +/- t * sd(DLP_s) / sqrt(n) over
    per-seed DLPs. NaN with ``reason`` where undefined. Returns ``DLP_KEYS + [variant, dlp,
    ci_low, ci_high, n_seeds, competitor_value, incumbent_value, best, worst, method, reason]``.
    """
    return _frames(table, options)[0]


def dlp_per_seed(table: pd.DataFrame, options: DLPOptions = DLPOptions()) -> pd.DataFrame:
    """Per-seed DLP_s with the same seed's competitor and incumbent (formulas as
    :func:`data_leverage_power`; ``options.confidence`` is not used). Returns ``DLP_KEYS + [seed,
    variant, dlp, competitor_value, incumbent_value, best_seed, worst]``."""
    return _frames(table, options)[1]


def participation_for_dlp(
    table: pd.DataFrame,
    levels: Sequence[float] = DLP_LEVELS,
    views: Sequence[str] = VIEWS,
    ci: str = "t",
    options: DLPOptions = DLPOptions(),
) -> pd.DataFrame:
    """Participation at which DLP "achieves" each level (default 0.5 ... 0.9), per view.

    ``options.achieves_at="smallest_exceeding"`` (default, the paper's rule): the smallest measured
    p whose mean DLP > d. ``"interpolated"``: p_d = p_{i-1} + (d - DLP_{i-1}) (p_i - p_{i-1}) /
    (DLP_i - DLP_{i-1}) at the first p_i with DLP_i >= d. Undefined points are dropped; NaN if
    never. CI from the same rule on per-seed DLP curves as in ``thresholds``, clipped to [0, 1].
    A curve with no defined DLP carries its DLP reason. Returns ``DLP_CURVE_KEYS + [variant, level,
    participation, ci_low, ci_high, n_seeds, n_seeds_never, method, rule, reason]`` for the views
    in ``views``. For one column per level: ``out.pivot_table(index=[...keys, "view"],
    columns="level", values="participation")``.
    """
    summary, per_seed = _frames(table, options)
    summary = summary[summary["view"].isin(list(views))]
    out = level_crossings(summary, per_seed, DLP_KEYS, DLP_CURVE_KEYS, "dlp", levels, ci, options.confidence,
                          options.achieves_at, REASON_NEVER, extra=["variant"])
    out["rule"] = options.achieves_at
    columns = list(DLP_CURVE_KEYS) + ["variant", "level", "participation", "ci_low", "ci_high",
                                      "n_seeds", "n_seeds_never", "method", "rule", "reason"]
    return out[columns].reset_index(drop=True)
