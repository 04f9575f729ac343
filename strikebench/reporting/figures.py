"""The report's figures (matplotlib, Agg), each saved as PNG and SVG; colours follow model family.

Every function takes already-filtered tables and returns the figure's file names (relative to
``out_dir``) so the report can reference them.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from strikebench.analysis.aggregate import summarise_cells  # noqa: E402
from strikebench.analysis.table import CELL_KEYS  # noqa: E402
from strikebench.results.vocabulary import GROUPS, VIEWS  # noqa: E402

GROUP_TITLES = {"all": "all users", "participants": "participants", "non_participants": "non-participants"}
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


def _save(fig, out_dir: Path, stem: str) -> list[str]:
    out_dir.mkdir(parents=True, exist_ok=True)
    names = []
    for ext in ("png", "svg"):
        fig.savefig(out_dir / f"{stem}.{ext}", dpi=120 if ext == "png" else None, bbox_inches="tight")
        names.append(f"{stem}.{ext}")
    plt.close(fig)
    return names


def _x_axis(ax, ps) -> None:
    ax.set_xlabel("participation p (share of users acting)")
    positive = [p for p in ps if p > 0]
    if positive and min(positive) < 0.01:  # the published grid starts at 0.01 %: a log-like axis
        ax.set_xscale("symlog", linthresh=min(positive))
    ax.grid(alpha=0.3)


def _band(ax, x, mean, low, high, style, label) -> None:
    ax.plot(x, mean, label=label, **style)
    if np.isfinite(low).any():
        ax.fill_between(x, low, high, color=style["color"], alpha=0.15, linewidth=0)


def degradation_curves(table: pd.DataFrame, metric: str, title: str, out_dir: Path, stem: str,
                       styles: dict) -> list[str]:
    """Metric against p per model, one panel per group, mean with 95% t-interval bands."""
    return _save(group_panels(summarise_cells(table, CELL_KEYS), metric, title, styles), out_dir, stem)


def group_panels(cells: pd.DataFrame, metric: str, title: str, styles: dict, titles: dict = GROUP_TITLES):
    """The figure of ``cells`` (model, group, participation, mean, ci_low, ci_high): the mean
    against p per model with its band, one panel per group (all users, participants,
    non-participants; ``titles`` names them). Shared with the sweep summary's plot."""
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2), sharey=True, sharex=True)
    for ax, group in zip(axes, GROUPS):
        g = cells[cells["group"] == group]
        for model, t in g.groupby("model"):
            t = t.sort_values("participation").dropna(subset=["mean"])
            _band(ax, t["participation"], t["mean"], t["ci_low"], t["ci_high"], styles[model], model)
        ax.set_title(titles[group])
        _x_axis(ax, cells["participation"])
    axes[0].set_ylabel(f"{metric} (holdout test set)")
    axes[0].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _one_panel(frame: pd.DataFrame, by: list[str], y: str, label: str, styles: dict):
    """A one-panel figure of ``y`` against p with CI bands, one curve per ``by`` group (the model
    first), labelled by formatting ``label`` with the group's keys; curves with no defined ``y``
    are left out."""
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for key, t in frame.groupby(by):
        t = t.sort_values("participation").dropna(subset=[y])
        if len(t):
            _band(ax, t["participation"], t[y], t["ci_low"], t["ci_high"], styles[key[0]],
                  label.format(**dict(zip(by, key))))
    return fig, ax


def _save_one_panel(fig, ax, participations, ylabel: str, title: str, out_dir: Path, stem: str) -> list[str]:
    ax.set_ylabel(ylabel)
    _x_axis(ax, participations)
    ax.legend(fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    return _save(fig, out_dir, stem)


def loss_share_curves(loss: pd.DataFrame, title: str, out_dir: Path, stem: str, styles: dict) -> list[str]:
    """L(p) per model (group all), with CI bands; L = 1 is the reference model's level."""
    fig, ax = _one_panel(loss, ["model"], "loss_share", "{model}", styles)
    ax.axhline(1.0, color="grey", linewidth=0.8, linestyle=":")
    return _save_one_panel(fig, ax, loss["participation"], "L(p): share of the personalisation gap lost", title,
                           out_dir, stem)


def group_bars(changes: pd.DataFrame, title: str, out_dir: Path, stem: str, styles: dict) -> list[str]:
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
        ax.set_title(GROUP_TITLES[user_group])
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("change vs the same users at p = 0 (%)")
    axes[0].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, out_dir, stem)


def company_curves(table: pd.DataFrame, metric: str, title: str, out_dir: Path, stem: str,
                   styles: dict) -> list[str]:
    """Transfer: incumbent (solid) and competitor (dashed) against p, holdout and company views."""
    cells = summarise_cells(table, CELL_KEYS)
    views = [v for v in VIEWS if v in set(cells["view"])]
    fig, axes = plt.subplots(1, len(views), figsize=(6.5 * len(views), 4.2), squeeze=False)
    for ax, view in zip(axes[0], views):
        v = cells[(cells["view"] == view) & (cells["group"] == "all")]
        for (model, company), t in v.groupby(["model", "company"]):
            t = t.sort_values("participation").dropna(subset=["mean"])
            style = dict(styles[model], linestyle="-" if company == "incumbent" else "--")
            if company != "incumbent":
                style["markerfacecolor"] = "none"
            _band(ax, t["participation"], t["mean"], t["ci_low"], t["ci_high"], style, f"{model} {company}")
        ax.set_title(f"{view} view" + (" (test users the company holds data for)" if view == "company" else ""))
        ax.set_ylabel(f"{metric}, all users")
        _x_axis(ax, cells["participation"])
        ax.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, out_dir, stem)


def dlp_curves(dlp: pd.DataFrame, title: str, out_dir: Path, stem: str, styles: dict) -> list[str]:
    """DLP against p per model and variant (holdout view, all users)."""
    fig, ax = _one_panel(dlp, ["model", "variant"], "dlp", "{model} ({variant})", styles)
    return _save_one_panel(fig, ax, dlp["participation"], "Data Leverage Power", title, out_dir, stem)


def _short(label: str, width: int = 28) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"
