"""Data Leverage Power (Vincent & Hecht, "Conscious Data Contribution", CSCW 2021).

DLP puts a company's performance on a scale from *worst* (a floor) to *best* (the incumbent with
all the data, p = 0, same model). With C = competitor(p), I = incumbent(p), B = best, W = worst:

- CDC only (lever ``transfer``):              DLP = (C - W) / (B - W)
- CDC plus strike (lever ``transfer+strike``): DLP = (C - W) / (I - W), only for p <= 0.5
- strike only (lever ``strike``):            DLP = 1 - (I - W) / (B - W)

Lower-is-better metrics (rmse, mae) are mirrored: every ratio is unchanged by the sign flip, but
the worst observed value becomes the *largest* and the denominators must be positive after the
mirror, s * (B - W) > tolerance (s * (I - W) for CDC plus strike), else DLP is NaN with a reason.

worst: ``None``/``"reference"`` (default) = the incumbent's reference model (``"Pop"``) on full data,
mean over seeds, same dataset / view / group / metric; ``"observed"`` = the worst cell mean (over
seeds) observed for the same dataset / model / view / group / metric in any lever, selector,
company or participation, as the study did; or a number (all metrics) or ``{metric: number}``.
best: ``None`` = the incumbent's same model at p = 0 (pooled over levers and selectors), or a
number or ``{metric: number}``.

Uncertainty: point estimate from the means over seeds; per-seed DLP_s uses the same seed's C, I
and B (B's mean when that seed has no full-data run; W is a constant); CI = DLP +/-
t_{(1+c)/2, n-1} * sd(DLP_s) / sqrt(n), as for the loss share.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from strikebench.analysis.aggregate import (
    as_results_table, is_full_data, sign_of, summarise_cells, t_multiplier,
)
from strikebench.analysis.crossing import crossing_table
from strikebench.analysis.table import CELL_KEYS, SEED, VALUE, ResultsTableError
from strikebench.results.vocabulary import VIEWS

REFERENCE_MODEL = "Pop"
#: lever name -> DLP variant
VARIANTS: dict[str, str] = {"transfer": "transfer", "transfer+strike": "transfer+strike", "strike": "strike",
                            "cdc_strike": "strike"}  # the strike-only arm of the transfer study
#: keys of a DLP cell: a results cell without its company (DLP combines the two companies)
DLP_KEYS: tuple[str, ...] = tuple(k for k in CELL_KEYS if k != "company")
DLP_CURVE_KEYS: tuple[str, ...] = tuple(k for k in DLP_KEYS if k != "participation")
DLP_LEVELS: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.9)
MAX_PARTICIPATION_TRANSFER_STRIKE = 0.5

REASON_P = "participation > 0.5"
REASON_NO_COMPETITOR = "no competitor value"
REASON_NO_INCUMBENT = "no incumbent value"
REASON_NO_BEST = "no best value"
REASON_NO_WORST = "no worst value"
REASON_SCALE = "best not better than worst"
REASON_INCUMBENT = "incumbent not better than worst"
REASON_NEVER = "never reached"

_BEST_KEYS = ["dataset", "model", "family", "view", "group", "metric"]


@dataclass(frozen=True)
class DLPOptions:
    """How DLP is measured; shared by :func:`data_leverage_power`, :func:`dlp_per_seed` and
    :func:`participation_for_dlp`.

    ``worst`` / ``best``: W and B (module docstring); ``reference_model``: W's model by default;
    ``variants``: lever name -> DLP variant, other levers ignored; ``lower_is_better``: metrics
    with s = -1 besides the known ones; ``tolerance``: how much better than W the denominator's
    side must be; ``max_participation``: the largest p for transfer+strike; ``confidence``: the
    CI level c.
    """

    worst: None | str | float | Mapping[str, float] = None
    best: None | float | Mapping[str, float] = None
    reference_model: str = REFERENCE_MODEL
    variants: Mapping[str, str] = field(default_factory=lambda: dict(VARIANTS))
    lower_is_better: Collection[str] | None = None
    tolerance: float = 1e-9
    max_participation: float = MAX_PARTICIPATION_TRANSFER_STRIKE
    confidence: float = 0.95


def _constant(values: float | Mapping[str, float], metrics: pd.Series, what: str) -> np.ndarray:
    if isinstance(values, Mapping):
        missing = sorted(set(metrics) - set(values))
        if missing:
            raise ResultsTableError("metric", f"no explicit {what} value for metric {missing[0]!r}")
        return metrics.map(dict(values)).to_numpy(float)
    return np.full(len(metrics), float(values))


def _worst(table, rows, worst, reference_model, lower_is_better) -> np.ndarray:
    if worst is None or worst == "reference":
        ref = table[(table["model"] == reference_model) & (table["company"] == "incumbent")
                    & is_full_data(table["participation"])]
        keys = ["dataset", "view", "group", "metric"]
        ref = ref.groupby(keys + [SEED])[VALUE].mean().groupby(keys).mean().rename("_w").reset_index()
        return rows[keys].merge(ref, on=keys, how="left")["_w"].to_numpy(float)
    if worst == "observed":
        keys = ["dataset", "model", "family", "view", "group", "metric"]
        cells = summarise_cells(table)
        cells["_good"] = sign_of(cells["metric"], lower_is_better) * cells["mean"]
        low = cells.groupby(keys)["_good"].min().rename("_w").reset_index()
        out = rows[keys].merge(low, on=keys, how="left")["_w"].to_numpy(float)
        return sign_of(rows["metric"], lower_is_better) * out
    if isinstance(worst, str):
        raise ValueError(f"worst must be None, 'reference', 'observed', a number or a mapping, got {worst!r}")
    return _constant(worst, rows["metric"], "worst")


def _frames(table, options: DLPOptions):
    variants, lower_is_better = options.variants, options.lower_is_better
    tolerance, max_participation = options.tolerance, options.max_participation
    table = as_results_table(table)
    unknown = sorted(set(variants.values()) - {"transfer", "transfer+strike", "strike"})
    if unknown:
        raise ValueError(f"unknown DLP variant {unknown[0]!r} (allowed: transfer, transfer+strike, strike)")
    acting = table[table["lever"].isin(list(variants))]
    keys = list(DLP_KEYS) + [SEED]
    inc = acting[acting["company"] == "incumbent"][keys + [VALUE]].rename(columns={VALUE: "incumbent_value"})
    comp = acting[acting["company"] == "competitor"][keys + [VALUE]].rename(columns={VALUE: "competitor_value"})
    seeds = inc.merge(comp, on=keys, how="outer")
    seeds["variant"] = seeds["lever"].map(dict(variants))
    # best: the incumbent's same model on full data, per seed (pooled over levers and selectors)
    if options.best is None:
        full = table[(table["company"] == "incumbent") & is_full_data(table["participation"])]
        b_seed = full.groupby(_BEST_KEYS + [SEED])[VALUE].mean().rename("_b_seed").reset_index()
        b_mean = b_seed.groupby(_BEST_KEYS)["_b_seed"].mean().rename("best").reset_index()
        seeds = seeds.merge(b_seed, on=_BEST_KEYS + [SEED], how="left").merge(b_mean, on=_BEST_KEYS, how="left")
        seeds["_b_seed"] = seeds["_b_seed"].fillna(seeds["best"])
    else:
        seeds["best"] = _constant(options.best, seeds["metric"], "best")
        seeds["_b_seed"] = seeds["best"]
    seeds["worst"] = _worst(table, seeds, options.worst, options.reference_model, lower_is_better)

    # means over seeds per DLP cell
    cells = seeds.groupby(list(DLP_KEYS), dropna=False).agg(
        variant=("variant", "first"), competitor_value=("competitor_value", "mean"),
        incumbent_value=("incumbent_value", "mean"), best=("best", "first"), worst=("worst", "first"),
    ).reset_index()

    def dlp(frame, c, i, b):
        v, w = frame["variant"].to_numpy(), frame["worst"].to_numpy(float)
        sign = sign_of(frame["metric"], lower_is_better)
        c, i, b = (frame[x].to_numpy(float) for x in (c, i, b))
        scale_ok = sign * (b - w) > tolerance          # best clearly better than worst
        inc_ok = sign * (i - w) > tolerance            # incumbent clearly better than worst
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.select(
                [(v == "transfer") & scale_ok, (v == "strike") & scale_ok, (v == "transfer+strike") & inc_ok],
                [(c - w) / (b - w), 1.0 - (i - w) / (b - w), (c - w) / (i - w)],
                default=np.nan)

    seeds["dlp"] = dlp(seeds, "competitor_value", "incumbent_value", "_b_seed")
    too_many = (seeds["variant"] == "transfer+strike") & (seeds["participation"] > max_participation + 1e-12)
    seeds.loc[too_many, "dlp"] = np.nan
    cells["dlp"] = dlp(cells, "competitor_value", "incumbent_value", "best")
    spread = seeds.groupby(list(DLP_KEYS), dropna=False)["dlp"].agg(_sd="std", n_seeds="count").reset_index()
    cells = cells.merge(spread, on=list(DLP_KEYS), how="left")
    half = t_multiplier(cells["n_seeds"].to_numpy(), options.confidence) * cells["_sd"].to_numpy() / np.sqrt(
        cells["n_seeds"].clip(lower=1).to_numpy())
    cells["ci_low"], cells["ci_high"] = cells["dlp"] - half, cells["dlp"] + half

    v = cells["variant"]
    sc = sign_of(cells["metric"], lower_is_better)
    needs_c = v.isin(["transfer", "transfer+strike"])
    needs_b = v.isin(["transfer", "strike"])
    cells["reason"] = np.select(
        [(v == "transfer+strike") & (cells["participation"] > max_participation + 1e-12),
         needs_c & cells["competitor_value"].isna(),
         cells["worst"].isna(),
         ((v == "strike") | (v == "transfer+strike")) & cells["incumbent_value"].isna(),
         needs_b & cells["best"].isna(),
         needs_b & ~(sc * (cells["best"] - cells["worst"]) > tolerance),
         (v == "transfer+strike") & ~(sc * (cells["incumbent_value"] - cells["worst"]) > tolerance)],
        [REASON_P, REASON_NO_COMPETITOR, REASON_NO_WORST, REASON_NO_INCUMBENT, REASON_NO_BEST,
         REASON_SCALE, REASON_INCUMBENT],
        default="")
    undefined = cells["reason"] != ""
    cells.loc[undefined, ["dlp", "ci_low", "ci_high"]] = np.nan
    cells["n_seeds"] = cells["n_seeds"].where(~undefined, 0).astype("int64")
    columns = list(DLP_KEYS) + ["variant", "dlp", "ci_low", "ci_high", "n_seeds", "competitor_value",
                                "incumbent_value", "best", "worst", "reason"]
    seeds = seeds.rename(columns={"_b_seed": "best_seed"})
    seed_columns = list(DLP_KEYS) + [SEED, "variant", "dlp", "competitor_value", "incumbent_value",
                                     "best_seed", "worst"]
    return cells[columns].reset_index(drop=True), seeds[seed_columns].reset_index(drop=True)


def data_leverage_power(table: pd.DataFrame, options: DLPOptions = DLPOptions()) -> pd.DataFrame:
    """DLP per cell (company combined): transfer (C - W)/(B - W); transfer+strike (C - W)/(I - W)
    for p <= 0.5; strike 1 - (I - W)/(B - W).

    C, I = competitor / incumbent means over seeds at p; B = ``options.best``; W =
    ``options.worst`` (module docstring). ``options.variants`` maps lever names to variants; other
    levers are ignored. CI = DLP +/- t * sd(DLP_s) / sqrt(n) over per-seed DLPs. NaN with
    ``reason`` where undefined. Returns ``DLP_KEYS + [variant, dlp, ci_low, ci_high, n_seeds,
    competitor_value, incumbent_value, best, worst, reason]``.
    """
    return _frames(table, options)[0]


def dlp_per_seed(table: pd.DataFrame, options: DLPOptions = DLPOptions()) -> pd.DataFrame:
    """Per-seed DLP_s with the same seed's competitor, incumbent and best (formulas as
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
    """Participation needed to reach each DLP level (default 0.5 ... 0.9), per view.

    p_d = p_{i-1} + (d - DLP_{i-1}) (p_i - p_{i-1}) / (DLP_i - DLP_{i-1}) at the first p_i with
    DLP_i >= d on the mean DLP curve (undefined points dropped); NaN if never. CI from per-seed DLP
    curves as in ``thresholds``. Returns ``DLP_CURVE_KEYS + [variant, level, participation,
    ci_low, ci_high, n_seeds, n_seeds_never, reason]`` for the views in ``views``. For a table
    with one column per level: ``out.pivot_table(index=[...keys, "view"], columns="level",
    values="participation")``.
    """
    summary, per_seed = _frames(table, options)
    summary = summary[summary["view"].isin(list(views))]
    defined = summary[summary["reason"] == ""]
    per_seed = per_seed.merge(defined[list(DLP_KEYS)], on=list(DLP_KEYS), how="inner")
    curves = summary[list(DLP_CURVE_KEYS) + ["variant"]].drop_duplicates().reset_index(drop=True)
    targets = curves.merge(pd.DataFrame({"level": [float(x) for x in levels]}), how="cross")
    out = crossing_table(defined, per_seed, targets, DLP_CURVE_KEYS, "dlp", "up", ci, options.confidence,
                         SEED)
    out["reason"] = np.where(out["participation"].isna(), REASON_NEVER, "")
    columns = list(DLP_CURVE_KEYS) + ["variant", "level", "participation", "ci_low", "ci_high",
                                      "n_seeds", "n_seeds_never", "reason"]
    return out[columns].reset_index(drop=True)
