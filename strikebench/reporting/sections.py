"""The report's sections for one study: each turns the analysis measures into tables, figures
and short text. Every group measure compares the same users at p and at p = 0 (the study's
``p0:<model>`` baselines, ``analysis.baselines``)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from strikebench.analysis import LossShareOptions, back_in_time, boycott_summary, loss_share, participation_thresholds
from strikebench.analysis.aggregate import is_full_data
from strikebench.analysis.robustness import group_changes
from strikebench.reporting import figures
from strikebench.reporting.document import Document
from strikebench.reporting.formatting import MISSING, estimate, not_reached, participation, percent
from strikebench.reporting.load import Study
from strikebench.reporting.participants import GROUP_TITLES, group_titles

VIEW, GROUP, INCUMBENT = "holdout", "all", "incumbent"
ALREADY = "0 (at or below it on full data)"


@dataclass
class Context:
    """What every section of one study needs."""

    doc: Document
    study: Study
    measured: pd.DataFrame  # the study's rows of ``metric``, with same-user baselines
    metric: str
    settings: dict
    styles: dict
    fig_dir: Path
    add_figure: Callable[[list[str], str], None]
    tag: str = ""  # prefix of figure and table names: the study's, when a report holds several
    level: int = 3  # heading level of a section

    def name(self, *parts) -> str:
        return slug(self.tag, *parts) if self.tag else slug(*parts)


def slug(*parts) -> str:
    text = "_".join(str(p) for p in parts)
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text)


def pivot(frame: pd.DataFrame, index: str, columns: str, cell: str, order=None) -> pd.DataFrame:
    """Rows ``index`` (in the frame's order), one column per ``columns`` value (numbers shown as
    participations)."""
    if frame.empty:
        return pd.DataFrame()
    wide = frame.pivot_table(index=index, columns=columns, values=cell, aggfunc="first", sort=False)
    if order is not None:
        wide = wide[[c for c in order if c in wide.columns]]
    else:
        wide = wide[sorted(wide.columns, key=lambda c: (not isinstance(c, (int, float, np.floating)), c))]
    wide.columns = [participation(c) if isinstance(c, (int, float, np.floating)) else str(c) for c in wide.columns]
    return wide.fillna(MISSING).reset_index()


def by_group(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows ordered model, then all / participants / non-participants, labelled ``row``."""
    order = {g: i for i, g in enumerate(GROUP_TITLES)}
    frame = frame.assign(_g=frame["group"].map(order)).sort_values(["model", "_g"], kind="mergesort")
    return frame.assign(row=[f"{m}, {GROUP_TITLES[g]}" for m, g in zip(frame["model"], frame["group"])]).drop(
        columns="_g")


def measured_max(rows: pd.DataFrame) -> dict[tuple, float]:
    """(model, group) -> the largest participation with a value: the range a threshold was sought in."""
    rows = rows.dropna(subset=["value"])
    return rows.groupby(["model", "group"])["participation"].max().to_dict()


def acted(rows: pd.DataFrame) -> set[str]:
    """The models with a value at some p > 0: the curves a threshold can be sought on."""
    return set(rows.loc[(rows["participation"] > 0) & rows["value"].notna(), "model"])


def first_measured(rows: pd.DataFrame, scope: pd.DataFrame) -> dict[tuple, float]:
    """(model, group) -> the smallest participation with a value in ``rows``, for curves with no
    value at p = 0 in ``scope`` (participants: nobody takes part at p = 0), where a crossing at that
    first point only says "at or before"."""
    rows, scope = rows.dropna(subset=["value"]), scope.dropna(subset=["value"])
    full = set(map(tuple, scope.loc[is_full_data(scope["participation"]), ["model", "group"]].to_numpy()))
    first = rows[rows["participation"] > 0].groupby(["model", "group"])["participation"].min()
    return {k: p for k, p in first.items() if k not in full}


def crossing_cell(r, p_max: dict, p_first: dict) -> str:
    """A threshold's cell: "≤ p" where it lies at the first point of a curve that starts after p = 0,
    the range searched where it was not reached."""
    key = (r.model, r.group)
    if key in p_first and np.isclose(r.participation, p_first[key]):
        return f"≤ {p_first[key]:g} (at the smallest measured p)"
    return estimate(r.participation, r.ci_low, r.ci_high, not_reached(r.reason, p_max.get(key)))


# --- random strike ---------------------------------------------------------------------------
def random_strike(ctx: Context, dataset: str, lever: str) -> None:
    """Curves, L(p), thresholds, back in time and boycott for one lever with the random selector."""
    data = ctx.measured[(ctx.measured["dataset"] == dataset) & (ctx.measured["company"] == INCUMBENT)]
    rows = data[(data["lever"] == lever) & (data["selector"] == "random")]
    if rows.empty or not (rows["participation"] > 0).any():
        return
    doc, metric, settings = ctx.doc, ctx.metric, ctx.settings
    doc.heading(f"{lever}: random participants", ctx.level)
    everything = ctx.study.table
    titles, why = group_titles(everything[(everything["dataset"] == dataset) & (everything["lever"] == lever)
                                          & (everything["selector"] == "random")])
    holdout = rows[rows["view"] == VIEW]
    ctx.add_figure(figures.degradation_curves(holdout, metric, f"{dataset}, lever {lever}, random participants: "
                                              f"{metric} (mean, 95% CI)", ctx.fig_dir,
                                              ctx.name("curves", dataset, lever), ctx.styles, titles, why),
                   f"Degradation curves: {metric} against participation, per model (colour = model family), "
                   "for all users, participants and non-participants; bands: 95% t-intervals over seeds.")

    # the loss share needs every model's full data: this lever's rows and the p = 0 rows of any lever
    scope = data[data["view"] == VIEW]
    scope = scope[((scope["lever"] == lever) & (scope["selector"] == "random")) | is_full_data(scope["participation"])]
    options = LossShareOptions(reference_model=settings["reference_model"], confidence=settings["confidence"])
    loss = loss_share(scope, options)
    loss = loss[(loss["lever"] == lever) & (loss["selector"] == "random") & (loss["participation"] > 0)]
    loss = by_group(loss.assign(cell=[estimate(r.loss_share, r.ci_low, r.ci_high, r.reason) for r in loss.itertuples()]))
    doc.text(f"Loss share of the personalisation gap, L(p) = (M(0) − M(p)) / (M(0) − M_ref), M_ref = "
             f"{settings['reference_model']} on full data; holdout view. Each group is compared with the same "
             "users at p = 0 (M(0) and M_ref over exactly that group's users). 0 = nothing lost, "
             "1 = down to the non-personalised reference. 95% CI: t over seeds.")
    doc.table(pivot(loss, "row", "participation", "cell"), "L(p) per model, group and participation",
              name=ctx.name("loss_share", dataset, lever))
    if loss["loss_share"].notna().any():
        ctx.add_figure(figures.loss_share_curves(loss, rows, f"{dataset}, {lever}: L(p)", ctx.fig_dir,
                                                 ctx.name("loss_share", dataset, lever), ctx.styles, titles, why),
                       "Loss share L(p) with 95% CI, from (0, 0) on full data; the dotted line is the reference "
                       "model's level.")
    _thresholds(ctx, scope, lever, options)
    _back_in_time(ctx, scope, dataset, lever)
    _boycott(ctx, dataset, lever)


def _thresholds(ctx: Context, scope: pd.DataFrame, lever: str, options: LossShareOptions) -> None:
    out = participation_thresholds(scope, levels=ctx.settings["loss_levels"], options=options)
    out = out[(out["lever"] == lever) & (out["selector"] == "random")]
    curves = scope[(scope["lever"] == lever) & (scope["selector"] == "random")]
    out = out[out["model"].isin(acted(curves))]
    p_max, p_first = measured_max(curves), first_measured(curves, scope)
    out = by_group(out.assign(level=[f"L = {x:g}" for x in out["level"]],
                              cell=[crossing_cell(r, p_max, p_first) for r in out.itertuples()]))
    ctx.doc.text("Participation at which L(p) first reaches each level, interpolated linearly between measured "
                 "participations (CI: t over each seed's own crossing, clipped to [0, 1]).")
    ctx.doc.table(pivot(out, "row", "level", "cell"), "Thresholds: p at which L reaches a level",
                  name=ctx.name("thresholds", scope["dataset"].iloc[0], lever))


def _back_in_time(ctx: Context, scope: pd.DataFrame, dataset: str, lever: str) -> None:
    bit = back_in_time(scope[scope["group"] == GROUP], ladder=ctx.settings["ladder"],
                       confidence=ctx.settings["confidence"])
    curves = scope[(scope["lever"] == lever) & (scope["selector"] == "random")]
    bit = bit[(bit["lever"] == lever) & (bit["selector"] == "random") & bit["model"].isin(acted(curves))]
    p_max = measured_max(curves)
    bit = bit.assign(reference=[f"{m} ({y})" for m, y in zip(bit["reference_model"], bit["year"])],
                     cell=[ALREADY if r.participation == 0 else estimate(
                         r.participation, r.ci_low, r.ci_high, not_reached(r.reason, p_max.get((r.model, r.group))))
                         for r in bit.itertuples()])
    ctx.doc.text("Back in time: the participation at which the model falls to an older algorithm's full-data "
                 "level (all users).")
    ctx.doc.table(pivot(bit, "model", "reference", "cell"), "Back in time: p at which the model is set back to",
                  name=ctx.name("back_in_time", dataset, lever))


def _boycott(ctx: Context, dataset: str, lever: str) -> None:
    metric = ctx.settings["boycott_metric"]
    per_user = ctx.study.per_user
    if metric not in per_user.columns:
        return
    pu = per_user[(per_user["dataset"] == dataset) & (per_user["view"] == VIEW) & (per_user["company"] == INCUMBENT)
                  & (per_user["selector"] == "random")
                  & ((per_user["lever"] == lever) | is_full_data(per_user["participation"]))]
    if pu.empty or not (pu["participation"] > 0).any():
        return
    cols = ["study", "dataset", "model", "family", "lever", "selector", "company", "view", "participation", "seed",
            "user", "participant", metric]
    summary = boycott_summary(pu[cols], metric, confidence=ctx.settings["confidence"])
    summary = summary[(summary["lever"] == lever) & (summary["participation"] > 0)
                      & (summary["perspective"] == "system")
                      & summary["measure"].isin(["strike_loss_relative", "boycott_loss_relative"])]
    if summary.empty:
        return
    summary = summary.assign(cell=[percent(-m) if np.isfinite(m) else MISSING for m in summary["mean"]],
                             column=[f"{participation(p)} {'strike' if 'strike' in m else 'boycott'}"
                                     for p, m in zip(summary["participation"], summary["measure"])])
    ctx.doc.text(f"Strike versus boycott (system view, total `{metric}` over all test users, against the same "
                 "users at p = 0): a strike keeps participants as customers, a boycott also loses them (their "
                 "hits count as zero).")
    order = [f"{participation(p)} {kind}" for p in sorted(summary["participation"].unique())
             for kind in ("strike", "boycott")]
    ctx.doc.table(pivot(summary, "model", "column", "cell", order=order),
                  "Change in the company's total hits", name=ctx.name("boycott", dataset, lever))


# --- targeted strikes ------------------------------------------------------------------------
def targeted_strikes(ctx: Context, dataset: str, competitor_levers: set) -> None:
    data = ctx.study.table[ctx.study.table["dataset"] == dataset]
    targeted = data[(data["selector"] != "random") & (data["participation"] > 0)
                    & ~data["lever"].isin(competitor_levers)]
    if targeted.empty:
        return
    per_user = ctx.study.per_user
    pu = per_user[(per_user["dataset"] == dataset) & (per_user["view"] == VIEW) & (per_user["company"] == INCUMBENT)]
    pu = pu[((pu["selector"] != "random") & ~pu["lever"].isin(competitor_levers)) | is_full_data(pu["participation"])]
    changes = group_changes(pu, ctx.metric, ctx.settings["confidence"])
    for lever in sorted(targeted["lever"].unique()):
        c = changes[(changes["lever"] == lever) & (changes["selector"] != "random")]
        if c.empty:
            continue
        ctx.doc.heading(f"{lever}: targeted (homogeneous) groups", ctx.level)
        titles, _ = group_titles(targeted[targeted["lever"] == lever])
        for p in sorted(c["participation"].unique()):
            at = c[np.isclose(c["participation"], p)]
            ctx.add_figure(figures.group_bars(at, f"{dataset}, {lever}, p = {participation(p)} of each group: "
                                              f"{ctx.metric}", ctx.fig_dir, ctx.name("groups", dataset, lever, p),
                                              ctx.styles, titles),
                           f"Targeted strikes at p = {participation(p)} of the group: change in {ctx.metric} against "
                           "the same users at p = 0 (same model and seed), 95% CI: t over seeds.")
            at = at.assign(cell=[percent(r.relative_change) + (
                f" [{percent(r.relative_ci_low)}, {percent(r.relative_ci_high)}]"
                if np.isfinite(r.relative_ci_low) else "") if np.isfinite(r.relative_change) else f"{MISSING} (no users)"
                for r in at.itertuples()], row=[f"{s} / {m}" for s, m in zip(at["selector"], at["model"])])
            ctx.doc.table(pivot(at, "row", "group", "cell", order=["participants", "non_participants", "all"]),
                          f"Relative change against p = 0 for the same users, p = {participation(p)} (group / model)",
                          name=ctx.name("groups", dataset, lever, p))
