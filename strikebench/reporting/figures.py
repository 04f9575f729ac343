"""The report's figures (matplotlib, Agg), each saved as a 300 dpi PNG and an SVG; colours follow
model family. Every function takes already-filtered tables and returns the figure's file names
(relative to ``out_dir``) so the report can reference them. Shared parts: ``figure_kit``."""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from strikebench.analysis.aggregate import summarise_cells
from strikebench.analysis.table import CELL_KEYS
from strikebench.reporting import figure_kit as kit
from strikebench.reporting.participants import GROUP_TITLES
from strikebench.results.vocabulary import GROUPS, VIEWS

LINESTYLES = ("-", "--", ":", "-.")
MARKERS = ("o", "s", "^", "D", "v", "P")


def model_styles(models_with_family: pd.DataFrame) -> dict[str, dict]:
    """model -> {color, linestyle, marker}: one colour per family, styles vary within a family."""
    pairs = models_with_family[["model", "family"]].drop_duplicates().sort_values(["family", "model"])
    families = sorted(pairs["family"].unique())
    cmap = plt.get_cmap("tab10")
    styles = {}
    for fi, family in enumerate(families):
        for mi, model in enumerate(pairs[pairs["family"] == family]["model"]):
            styles[model] = {"color": cmap(fi % 10), "linestyle": LINESTYLES[mi % len(LINESTYLES)],
                             "marker": MARKERS[mi % len(MARKERS)]}
    return styles


def degradation_curves(table: pd.DataFrame, metric: str, title: str, out_dir: Path, stem: str,
                       styles: dict, titles: dict = GROUP_TITLES, why: str = "") -> list[str]:
    """Metric against participation per model, one panel per group, mean with 95% t-interval bands."""
    cells = kit.with_x(summarise_cells(table, CELL_KEYS), table, CELL_KEYS)
    fig = group_panels(cells, f"{metric} (holdout test set)", title, styles, titles, why,
                       kit.is_realised(table), kit.value_range(metric))
    return kit.save(fig, out_dir, stem)


def group_panels(cells: pd.DataFrame, ylabel: str, title: str, styles: dict, titles: dict = GROUP_TITLES,
                 why: str = "", realised: bool = False, limits=None, level: float | None = None):
    """The figure of ``cells`` (model, group, participation, mean, ci_low, ci_high; ``x`` if the
    realised participation is known): the mean against participation per model with its band,
    one panel per group (``titles`` names them), one legend under the panels, and a note on a
    panel whose curves coincide (``why`` says why for participants). ``level``: a dotted
    horizontal line. Shared with the sweep summary's plot."""
    cells = cells if "x" in cells.columns else cells.assign(x=cells["participation"])
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2), sharey=True, sharex=True)
    for ax, group in zip(axes, GROUPS):
        g = cells[cells["group"] == group]
        for model, t in g.groupby("model"):
            t = t.sort_values("x").dropna(subset=["mean"])
            kit.band(ax, t["x"], t["mean"], t["ci_low"], t["ci_high"], styles[model], model, limits)
        if kit.coinciding(g):
            kit.note_coincide(ax, g.dropna(subset=["mean"])["model"].nunique(), why if group == "participants" else "")
        if level is not None:
            ax.axhline(level, color="grey", linewidth=0.8, linestyle=":")
        ax.set_title(titles[group], fontsize=10)
        kit.x_axis(ax, cells["x"], realised)
    axes[0].set_ylabel(ylabel)
    fig.suptitle(title)
    fig.tight_layout()
    kit.legend_below(fig, axes)
    return fig


def loss_share_curves(loss: pd.DataFrame, table: pd.DataFrame, title: str, out_dir: Path, stem: str,
                      styles: dict, titles: dict = GROUP_TITLES, why: str = "") -> list[str]:
    """L(p) per model and group with CI bands, each curve starting at (0, 0) (nothing lost on full
    data); the dotted line L = 1 is the reference model's level."""
    defined = loss.dropna(subset=["loss_share"])
    cells = kit.with_x(defined, table, CELL_KEYS).rename(columns={"loss_share": "mean"})
    start = cells.drop_duplicates(["model", "group"]).assign(participation=0.0, x=0.0, mean=0.0, ci_low=0.0,
                                                               ci_high=0.0)
    cells = pd.concat([start, cells], ignore_index=True)
    fig = group_panels(cells, "L(p): share of the personalisation gap lost", title, styles, titles, why,
                       kit.is_realised(table), level=1.0)
    return kit.save(fig, out_dir, stem)


def group_bars(changes: pd.DataFrame, title: str, out_dir: Path, stem: str, styles: dict,
               titles: dict = GROUP_TITLES) -> list[str]:
    """Targeted strikes: relative change against the same users at p = 0, per selected group."""
    groups = list(dict.fromkeys(changes["selector"]))
    models = sorted(changes["model"].unique())
    width = 0.8 / max(len(models), 1)
    fig, axes = plt.subplots(1, 3, figsize=(max(12, 2.2 * len(groups) * 3), 4.6), sharey=True)
    x = np.arange(len(groups))
    for ax, user_group in zip(axes, GROUPS):
        g = changes[changes["group"] == user_group]
        for mi, model in enumerate(models):
            t = g[g["model"] == model].set_index("selector").reindex(groups)
            y = 100 * t["relative_change"].to_numpy(float)
            err = 100 * (t["relative_ci_high"] - t["relative_change"]).to_numpy(float)
            ax.bar(x + (mi - (len(models) - 1) / 2) * width, y, width, label=model,
                   color=styles[model]["color"], alpha=0.55 + 0.45 * (mi % 2),
                   yerr=np.where(np.isfinite(err), err, 0), capsize=2)
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_xticks(x, [_short(s) for s in groups], rotation=30, ha="right", fontsize=8)
        ax.set_title(titles[user_group], fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("change vs the same users at p = 0 (%)")
    fig.suptitle(title)
    fig.tight_layout()
    kit.legend_below(fig, axes)
    return kit.save(fig, out_dir, stem)


def company_curves(table: pd.DataFrame, metric: str, title: str, out_dir: Path, stem: str,
                   styles: dict) -> list[str]:
    """Transfer: incumbent (solid) and competitor (dashed) against p, holdout and company views."""
    cells = kit.with_x(summarise_cells(table, CELL_KEYS), table, CELL_KEYS)
    views = [v for v in VIEWS if v in set(cells["view"])]
    fig, axes = plt.subplots(1, len(views), figsize=(6.5 * len(views), 4.2), squeeze=False)
    for ax, view in zip(axes[0], views):
        v = cells[(cells["view"] == view) & (cells["group"] == "all")]
        for (model, company), t in v.groupby(["model", "company"]):
            t = t.sort_values("x").dropna(subset=["mean"])
            style = dict(styles[model], linestyle="-" if company == "incumbent" else "--")
            if company != "incumbent":
                style["markerfacecolor"] = "none"
            kit.band(ax, t["x"], t["mean"], t["ci_low"], t["ci_high"], style, f"{model} {company}",
                     kit.value_range(metric))
        ax.set_title(f"{view} view" + (" (test users the company holds data for)" if view == "company" else ""),
                     fontsize=10)
        ax.set_ylabel(f"{metric}, all users")
        kit.x_axis(ax, cells["x"], kit.is_realised(table))
    fig.suptitle(title)
    fig.tight_layout()
    kit.legend_below(fig, axes)
    return kit.save(fig, out_dir, stem)


def dlp_curves(dlp: pd.DataFrame, table: pd.DataFrame, title: str, out_dir: Path, stem: str,
               styles: dict) -> list[str]:
    """DLP against participation per model and variant (holdout view, all users)."""
    keys = [k for k in CELL_KEYS if k != "company"]
    dlp = kit.with_x(dlp, table[table["company"] == "incumbent"], keys)
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for (model, variant), t in dlp.groupby(["model", "variant"]):
        t = t.sort_values("x").dropna(subset=["dlp"])
        if len(t):
            kit.band(ax, t["x"], t["dlp"], t["ci_low"], t["ci_high"], styles[model], f"{model} ({variant})")
    if kit.coinciding(dlp, "dlp"):
        kit.note_coincide(ax, dlp.dropna(subset=["dlp"])["model"].nunique())
    ax.set_ylabel("Data Leverage Power")
    kit.x_axis(ax, dlp["x"], kit.is_realised(table))
    ax.set_title(title, fontsize=10)
    kit.legend_right(ax)
    fig.tight_layout()
    return kit.save(fig, out_dir, stem)


def _short(label: str, width: int = 28) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"
