"""The report's section for a transfer lever (a competitor in the records): both companies'
curves and Data Leverage Power with the published defaults (``analysis.dlp``): W and B are the
worst and best values observed in the study, and DLP "achieves" a level at the smallest measured
participation whose mean DLP exceeds it."""
from __future__ import annotations

import pandas as pd

from strikebench.analysis import DLPOptions, data_leverage_power, participation_for_dlp
from strikebench.analysis.aggregate import is_full_data
from strikebench.analysis.dlp import variant_of
from strikebench.reporting import figures
from strikebench.reporting.formatting import estimate, not_reached, number
from strikebench.reporting.sections import GROUP, INCUMBENT, VIEW, Context, pivot
from strikebench.results.vocabulary import VIEWS

FORMULAS = {"transfer": "(C − W) / (B − W)", "transfer+strike": "(C − W) / (I − W), for p ≤ 0.5",
            "strike": "1 − (I − W) / (B − W)"}


def transfer(ctx: Context, dataset: str, lever: str) -> None:
    table = ctx.study.table
    table = table[(table["dataset"] == dataset) & (table["metric"] == ctx.metric)]
    rows = table[table["lever"] == lever]
    # the incumbent's full data starts each curve; at p = 0 every lever is the same experiment
    full = table[(table["company"] == INCUMBENT) & is_full_data(table["participation"]) & (table["lever"] != lever)]
    ctx.doc.heading(f"{lever}: incumbent and competitor", ctx.level)
    for selector in sorted(rows["selector"].unique()):
        sel = rows[rows["selector"] == selector]
        if not is_full_data(sel.loc[sel["company"] == INCUMBENT, "participation"]).any():
            sel = pd.concat([sel, full.assign(lever=lever, selector=selector)], ignore_index=True)
        ctx.add_figure(figures.company_curves(sel, ctx.metric, f"{dataset}, {lever} ({selector}): {ctx.metric}",
                                              ctx.fig_dir, ctx.name("companies", dataset, lever, selector), ctx.styles),
                       f"Incumbent (solid) and competitor (dashed) against participation, holdout and company views "
                       f"({selector} participants), 95% t-intervals over seeds. A company with no training data in a "
                       "cell has no point.")
    variant = variant_of(lever, ctx.settings["dlp_variants"])
    if variant is None:
        ctx.doc.text(f"No DLP variant is configured for lever `{lever}` (conf/analysis/default.yaml dlp_variants).",
                     note=True)
        return
    scope = table[(table["group"] == GROUP) & ((table["lever"] == lever) | is_full_data(table["participation"]))]
    options = DLPOptions(reference_model=ctx.settings["reference_model"], variants={lever: variant},
                         confidence=ctx.settings["confidence"])
    dlp = data_leverage_power(scope, options)
    dlp = dlp[(dlp["lever"] == lever) & (dlp["participation"] > 0)]
    ctx.doc.text(f"Data Leverage Power, variant `{variant}`: DLP = {FORMULAS[variant]}, with C and I the competitor's "
                 "and the incumbent's values at p (all users). W and B are the worst and best values of the model "
                 "observed in the study (every seed of this lever, either company, and the incumbent's full data), "
                 "as in Vincent & Hecht's code; the table below lists them. 95% CI: t over seeds.")
    for view in VIEWS:
        v = dlp[dlp["view"] == view]
        if v.empty:
            continue
        v = v.assign(cell=[estimate(r.dlp, r.ci_low, r.ci_high, r.reason) for r in v.itertuples()],
                     row=[f"{m} ({s})" if s != "random" else m for m, s in zip(v["model"], v["selector"])])
        ctx.doc.table(pivot(v, "row", "participation", "cell"), f"DLP per model and participation, {view} view",
                      name=ctx.name("dlp", dataset, lever, view))
        if view == VIEW and v["dlp"].notna().any():
            ctx.add_figure(figures.dlp_curves(v, rows, f"{dataset}, {lever}: DLP ({view} view)", ctx.fig_dir,
                                              ctx.name("dlp", dataset, lever), ctx.styles),
                           "Data Leverage Power against participation, 95% t-intervals over seeds.")
    scale = dlp.drop_duplicates(["model", "view"]).sort_values(["model", "view"])
    ctx.doc.table(pd.DataFrame({"model": scale["model"], "view": scale["view"], "worst W": scale["worst"].map(number),
                                "best B": scale["best"].map(number)}),
                  "DLP scale: the worst and best values observed in the study")
    _achieves(ctx, scope, dlp, lever, options)


def _achieves(ctx: Context, scope: pd.DataFrame, dlp: pd.DataFrame, lever: str, options: DLPOptions) -> None:
    needed = participation_for_dlp(scope, levels=ctx.settings["dlp_levels"], options=options)
    needed = needed[needed["lever"] == lever]
    if needed.empty:
        return
    # a curve with no defined DLP at all: say why (e.g. "best not better than worst"), not "never reached"
    keys = ["model", "selector", "view"]
    why = dlp[dlp["reason"] != ""].groupby(keys)["reason"].first()
    defined = dlp[dlp["reason"] == ""]
    p_max = defined.groupby(keys)["participation"].max()
    needed = needed.assign(reason=[
        not_reached(r, p_max.get(k)) if k in p_max.index else why.get(k, r)
        for k, r in zip(zip(needed["model"], needed["selector"], needed["view"]), needed["reason"])])
    needed = needed.assign(level=[f"DLP {x:g}" for x in needed["level"]],
                           cell=[estimate(r.participation, r.ci_low, r.ci_high, r.reason) for r in needed.itertuples()],
                           row=[f"{m}, {v}" for m, v in zip(needed["model"], needed["view"])])
    ctx.doc.text("DLP achieves a level at the smallest measured participation whose mean DLP exceeds it (the "
                 "paper's rule; CI from each seed's own curve, clipped to [0, 1]).")
    ctx.doc.table(pivot(needed, "row", "level", "cell"), "Participation at which DLP achieves a level (model, view)",
                  name=ctx.name("dlp_achieves", scope["dataset"].iloc[0], lever))
