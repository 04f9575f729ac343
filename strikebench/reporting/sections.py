"""The report's sections: each turns the analysis measures into tables, figures and short text."""
from __future__ import annotations

import numpy as np
import pandas as pd

from strikebench.analysis import (
    DLPOptions, LossShareOptions, back_in_time, boycott_summary, data_leverage_power, loss_share,
    participation_for_dlp, participation_thresholds,
)
from strikebench.analysis.aggregate import is_full_data
from strikebench.analysis.robustness import group_changes
from strikebench.reporting import figures
from strikebench.reporting.formatting import MISSING, estimate, participation, percent
from strikebench.results.vocabulary import VIEWS

VIEW, GROUP, INCUMBENT = "holdout", "all", "incumbent"
ALREADY = "0 (at or below it on full data)"


def _slug(*parts) -> str:
    text = "_".join(str(p) for p in parts)
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text)


def _pivot(frame: pd.DataFrame, index: str, columns: str, cell: str, order=None) -> pd.DataFrame:
    """Rows ``index``, one column per ``columns`` value (formatted as participation if numeric)."""
    if frame.empty:
        return pd.DataFrame()
    wide = frame.pivot_table(index=index, columns=columns, values=cell, aggfunc="first")
    if order is not None:
        wide = wide[[c for c in order if c in wide.columns]]
    wide.columns = [participation(c) if isinstance(c, (int, float, np.floating)) else str(c) for c in wide.columns]
    return wide.fillna(MISSING).reset_index()


# --- overview / provenance --------------------------------------------------------------------
def overview(doc, results, metric: str, settings: dict) -> None:
    t = results.table
    doc.text(f"Results: `{results.results_dir}`, {len(results.records)} cells. Metric: `{metric}` on the "
             "fixed holdout test set unless a table says otherwise. Intervals are 95% Student-t intervals "
             "over seeds (none with one seed). A measure that is undefined shows its reason instead of a number.")
    rows = []
    for dataset, d in t.groupby("dataset"):
        for lever, l in d.groupby("lever"):
            for selector, s in l.groupby("selector"):
                rows.append({"dataset": dataset, "lever": lever, "selector": selector,
                             "models": ", ".join(sorted(s["model"].unique())),
                             "participations": ", ".join(participation(p) for p in sorted(s["participation"].unique())),
                             "seeds": s["seed"].nunique(), "cells": s["cell_key"].nunique()})
    doc.table(pd.DataFrame(rows), "What the results directory holds")


def provenance(doc, results) -> None:
    doc.heading("Provenance", 2)
    commits = pd.Series([(r.get("versions") or {}).get("git_commit") or "unknown" for r in results.records])
    versions = pd.Series([(r.get("versions") or {}).get("recbole") or "unknown" for r in results.records])
    frame = pd.DataFrame({"git commit": commits, "recbole": versions}).value_counts().rename("cells").reset_index()
    doc.table(frame, "Code versions the cells ran with (every record also holds its full resolved config)")
    doc.text("Every number above comes from `results_table.csv` beside this report (the long table of "
             "docs/results-table.md); re-run any cell with `strikebench leaderboard verify`.", note=True)


# --- random strike ---------------------------------------------------------------------------
def random_strike(doc, data, dataset, lever, metric, settings, styles, fig_dir, add_figure, results) -> None:
    """Curves, L(p), thresholds, back in time and boycott for one lever with the random selector."""
    rows = data[(data["lever"] == lever) & (data["selector"] == "random") & (data["company"] == INCUMBENT)
                & (data["metric"] == metric)]
    if rows.empty or not (rows["participation"] > 0).any():
        return
    doc.heading(f"{lever}: random participants", 3)
    holdout = rows[rows["view"] == VIEW]
    title = f"{dataset}, lever {lever}, random participants: {metric} (mean, 95% CI)"
    add_figure(figures.degradation_curves(holdout, metric, title, fig_dir, _slug("curves", dataset, lever), styles),
               f"Degradation curves: {metric} against participation, per model (colour = model family), "
               "for all users, participants and non-participants.")

    # loss share needs the reference model's and every model's full data: the whole dataset's rows
    scope = data[(data["company"] == INCUMBENT) & (data["view"] == VIEW) & (data["metric"] == metric)]
    scope = scope[((scope["lever"] == lever) & (scope["selector"] == "random")) | is_full_data(scope["participation"])]
    options = LossShareOptions(reference_model=settings["reference_model"], confidence=settings["confidence"])
    loss = loss_share(scope, options)
    loss = loss[(loss["lever"] == lever) & (loss["selector"] == "random") & (loss["group"] == GROUP)]
    loss = loss.assign(cell=[estimate(r.loss_share, r.ci_low, r.ci_high, r.reason) for r in loss.itertuples()])
    acted = loss[loss["participation"] > 0]
    doc.text(f"Loss share of the personalisation gap, L(p) = (M(0) − M(p)) / (M(0) − M_ref), M_ref = "
             f"{settings['reference_model']} on full data; all users, holdout view. 0 = nothing lost, "
             "1 = down to the non-personalised reference.")
    doc.table(_pivot(acted, "model", "participation", "cell"), "L(p) per model and participation")
    if acted["loss_share"].notna().any():
        add_figure(figures.loss_share_curves(acted, f"{dataset}, {lever}: L(p), all users", fig_dir,
                                             _slug("loss_share", dataset, lever), styles),
                   "Loss share L(p) with 95% CI; the dotted line is the reference model's level.")

    thresholds = participation_thresholds(scope, levels=settings["loss_levels"], options=options)
    thresholds = thresholds[(thresholds["lever"] == lever) & (thresholds["selector"] == "random")
                            & (thresholds["group"] == GROUP)]
    thresholds = thresholds.assign(level=[f"L = {x:g}" for x in thresholds["level"]],
                                   cell=[estimate(r.participation, r.ci_low, r.ci_high, r.reason)
                                         for r in thresholds.itertuples()])
    doc.text("Participation at which L(p) first reaches each level, interpolated linearly between measured "
             "participations (CI from each seed's own curve).")
    doc.table(_pivot(thresholds, "model", "level", "cell"), "Thresholds: p at which L reaches a level")

    bit = back_in_time(scope, ladder=settings["ladder"], confidence=settings["confidence"])
    bit = bit[(bit["lever"] == lever) & (bit["selector"] == "random") & (bit["group"] == GROUP)]
    bit = bit.assign(reference=[f"{m} ({y})" for m, y in zip(bit["reference_model"], bit["year"])],
                     cell=[ALREADY if r.participation == 0 else estimate(r.participation, r.ci_low, r.ci_high, r.reason)
                           for r in bit.itertuples()])
    doc.text("Back in time: the participation at which the model falls to an older algorithm's full-data level.")
    doc.table(_pivot(bit, "model", "reference", "cell"), "Back in time: p at which the model is set back to")
    _boycott(doc, results, dataset, lever, settings)


def _boycott(doc, results, dataset, lever, settings) -> None:
    metric = settings["boycott_metric"]
    per_user = results.per_user
    if metric not in per_user.columns:
        return
    pu = per_user[(per_user["dataset"] == dataset) & (per_user["view"] == VIEW) & (per_user["company"] == INCUMBENT)
                  & (per_user["selector"] == "random")
                  & ((per_user["lever"] == lever) | is_full_data(per_user["participation"]))]
    if pu.empty or not (pu["participation"] > 0).any():
        return
    cols = ["dataset", "model", "family", "lever", "selector", "company", "view", "participation", "seed",
            "user", "participant", metric]
    summary = boycott_summary(pu[cols], metric, confidence=settings["confidence"])
    summary = summary[(summary["lever"] == lever) & (summary["participation"] > 0)
                      & (summary["perspective"] == "system")
                      & summary["measure"].isin(["strike_loss_relative", "boycott_loss_relative"])]
    if summary.empty:
        return
    summary = summary.assign(cell=[percent(-m) if np.isfinite(m) else MISSING for m in summary["mean"]],
                             column=[f"{participation(p)} {'strike' if 'strike' in m else 'boycott'}"
                                     for p, m in zip(summary["participation"], summary["measure"])])
    doc.text(f"Strike versus boycott (system view, total `{metric}` over all test users): a strike keeps "
             "participants as customers, a boycott also loses them (their hits count as zero).")
    doc.table(_pivot(summary, "model", "column", "cell"), "Change in the company's total hits")


# --- targeted strikes ------------------------------------------------------------------------
def targeted_strikes(doc, results, data, dataset, metric, settings, styles, fig_dir, add_figure,
                     competitor_levers) -> None:
    targeted = data[(data["selector"] != "random") & (data["participation"] > 0)
                    & ~data["lever"].isin(competitor_levers)]
    if targeted.empty:
        return
    per_user = results.per_user
    pu = per_user[(per_user["dataset"] == dataset) & (per_user["view"] == VIEW) & (per_user["company"] == INCUMBENT)]
    pu = pu[((pu["selector"] != "random") & ~pu["lever"].isin(competitor_levers)) | is_full_data(pu["participation"])]
    changes = group_changes(pu, metric, settings["confidence"])
    for lever in sorted(targeted["lever"].unique()):
        c = changes[(changes["lever"] == lever) & (changes["selector"] != "random")]
        if c.empty:
            continue
        doc.heading(f"{lever}: targeted (homogeneous) groups", 3)
        for p in sorted(c["participation"].unique()):
            at = c[np.isclose(c["participation"], p)]
            add_figure(figures.group_bars(at, f"{dataset}, {lever}, p = {participation(p)} of each group: {metric}",
                                          fig_dir, _slug("groups", dataset, lever, p), styles),
                       f"Targeted strikes at p = {participation(p)} of the group: change in {metric} against "
                       "the same users at p = 0 (same model and seed), 95% CI over seeds.")
            at = at.assign(cell=[percent(r.relative_change) + (
                f" [{percent(r.relative_ci_low)}, {percent(r.relative_ci_high)}]"
                if np.isfinite(r.relative_ci_low) else "") if np.isfinite(r.relative_change) else f"{MISSING} (no users)"
                for r in at.itertuples()], row=[f"{s} / {m}" for s, m in zip(at["selector"], at["model"])])
            doc.table(_pivot(at, "row", "group", "cell", order=["participants", "non_participants", "all"]),
                      f"Relative change against p = 0 for the same users, p = {participation(p)} (group / model)")


# --- transfer --------------------------------------------------------------------------------
def transfer(doc, table, dataset, lever, metric, settings, styles, fig_dir, add_figure) -> None:
    rows = table[(table["dataset"] == dataset) & (table["lever"] == lever) & (table["metric"] == metric)]
    # the incumbent's full data starts each curve; at p = 0 every lever is the same experiment
    full = table[(table["dataset"] == dataset) & (table["metric"] == metric) & (table["company"] == INCUMBENT)
                 & is_full_data(table["participation"]) & (table["lever"] != lever)]
    doc.heading(f"{lever}: incumbent and competitor", 3)
    for selector in sorted(rows["selector"].unique()):
        sel = rows[rows["selector"] == selector]
        if not is_full_data(sel.loc[sel["company"] == INCUMBENT, "participation"]).any():
            sel = pd.concat([sel, full.assign(lever=lever, selector=selector)], ignore_index=True)
        add_figure(figures.company_curves(sel, metric, f"{dataset}, {lever} ({selector}): {metric}", fig_dir,
                                          _slug("companies", dataset, lever, selector), styles),
                   f"Incumbent (solid) and competitor (dashed) against participation, holdout and company views "
                   f"({selector} participants). A company with no training data in a cell has no point.")
    variants = dict(settings["dlp_variants"])
    base = lever.split("(", 1)[0]  # the lever's name without its settings, e.g. transfer(base_share=0.0)
    if base not in variants:
        doc.text(f"No DLP variant is configured for lever `{base}` (conf/analysis/default.yaml dlp_variants).", note=True)
        return
    variants = {lever: variants[base]}
    scope = table[(table["dataset"] == dataset) & (table["metric"] == metric) & (table["group"] == GROUP)]
    scope = scope[(scope["lever"] == lever) | is_full_data(scope["participation"])]
    options = DLPOptions(reference_model=settings["reference_model"], variants=variants,
                         confidence=settings["confidence"])
    dlp = data_leverage_power(scope, options)
    dlp = dlp[(dlp["lever"] == lever) & (dlp["participation"] > 0)]
    doc.text(f"Data Leverage Power, variant `{variants[lever]}` (W and B = the worst and best values of the "
             "model observed in the study, as in Vincent & Hecht's code), all users.")
    for view in VIEWS:
        v = dlp[dlp["view"] == view]
        if v.empty:
            continue
        v = v.assign(cell=[estimate(r.dlp, r.ci_low, r.ci_high, r.reason) for r in v.itertuples()],
                     row=[f"{m} ({s})" if s != "random" else m for m, s in zip(v["model"], v["selector"])])
        doc.table(_pivot(v, "row", "participation", "cell"), f"DLP per model and participation, {view} view")
        if view == VIEW and v["dlp"].notna().any():
            add_figure(figures.dlp_curves(v, f"{dataset}, {lever}: DLP ({view} view)", fig_dir,
                                          _slug("dlp", dataset, lever), styles),
                       "Data Leverage Power against participation, 95% CI over seeds.")
    needed = participation_for_dlp(scope, levels=settings["dlp_levels"], options=options)
    needed = needed[needed["lever"] == lever]
    if not needed.empty:
        # a curve with no defined DLP at all: say why (e.g. "best not better than worst"), not "never reached"
        why = dlp[dlp["reason"] != ""].groupby(["model", "selector", "view"])["reason"].first()
        has_points = dlp[dlp["reason"] == ""].groupby(["model", "selector", "view"]).size()
        needed = needed.assign(reason=[
            why.get(k, r) if k not in has_points.index else r
            for k, r in zip(zip(needed["model"], needed["selector"], needed["view"]), needed["reason"])])
        needed = needed.assign(level=[f"DLP {x:g}" for x in needed["level"]],
                               cell=[estimate(r.participation, r.ci_low, r.ci_high, r.reason) for r in needed.itertuples()],
                               row=[f"{m}, {v}" for m, v in zip(needed["model"], needed["view"])])
        doc.table(_pivot(needed, "row", "level", "cell"), "Participation needed to reach a DLP level (model, view)")
