"""What every report figure shares: a 300 dpi PNG beside the SVG, legends outside the axes,
bands clipped to the range a value can take, and the participation axis (the realised share of
the group that acted where the records carry it, else the nominal p)."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from strikebench.reporting.load import REALISED  # noqa: E402

DPI = 300
#: Metrics (the name before ``@``) whose values lie in [0, 1]: their bands are clipped to it.
UNIT_RANGE = frozenset({"ndcg", "recall", "hit", "mrr", "precision", "map", "sampled_ndcg", "sampled_hit",
                        "sampled_mrr", "surfaced_share", "rating_ndcg"})
X_LABELS = {True: "participation (realised share of the group acting)",
            False: "participation p (share of the group acting)"}
_SAME = 1e-9


def save(fig, out_dir: Path, stem: str) -> list[str]:
    """``stem.png`` at 300 dpi and ``stem.svg``; the file names, PNG first."""
    out_dir.mkdir(parents=True, exist_ok=True)
    names = []
    for ext in ("png", "svg"):
        fig.savefig(out_dir / f"{stem}.{ext}", dpi=DPI if ext == "png" else None, bbox_inches="tight")
        names.append(f"{stem}.{ext}")
    plt.close(fig)
    return names


def value_range(metric: str) -> tuple[float, float] | None:
    """(0, 1) for a metric that lives there (ndcg, recall, hit ...), else None (no clipping)."""
    return (0.0, 1.0) if str(metric).lower().split("@", 1)[0] in UNIT_RANGE else None


def band(ax, x, mean, low, high, style: dict, label: str, limits: tuple[float, float] | None = None) -> None:
    """The mean as a line, its interval as a band clipped to ``limits``."""
    ax.plot(x, mean, label=label, **style)
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    if limits is not None:
        low, high = np.clip(low, *limits), np.clip(high, *limits)
    if np.isfinite(low).any():
        ax.fill_between(x, low, high, color=style["color"], alpha=0.15, linewidth=0)


def with_x(frame: pd.DataFrame, table: pd.DataFrame | None, keys) -> pd.DataFrame:
    """``frame`` with column ``x``: the mean realised participation of its cell (``keys``) in
    ``table`` where the table has one, else the nominal participation."""
    frame = frame.drop(columns=["x"], errors="ignore")
    nominal = frame["participation"].to_numpy(float)
    if table is None or REALISED not in table.columns:
        return frame.assign(x=nominal)
    keys = [k for k in keys if k in table.columns and k in frame.columns]
    realised = table.groupby(keys, dropna=False)[REALISED].mean().rename("x").reset_index()
    out = frame.merge(realised, on=keys, how="left")
    out["x"] = np.where(np.isfinite(out["x"].to_numpy(float)), out["x"], out["participation"])
    return out


def is_realised(table: pd.DataFrame | None) -> bool:
    return table is not None and REALISED in table.columns and table[REALISED].notna().any()


def x_axis(ax, xs, realised: bool = False) -> None:
    ax.set_xlabel(X_LABELS[bool(realised)])
    positive = [x for x in np.asarray(xs, dtype=float) if x > 0]
    if positive and min(positive) < 0.01:  # the published grid starts at 0.01 %: a log-like axis
        ax.set_xscale("symlog", linthresh=min(positive))
    ax.grid(alpha=0.3)


def legend_below(fig, axes) -> None:
    """One legend for every panel, under the figure (never over a curve)."""
    handles, labels = {}, []
    for ax in np.ravel(axes):
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if label not in handles:
                handles[label] = handle
                labels.append(label)
    if labels:
        fig.legend([handles[x] for x in labels], labels, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                   ncol=min(len(labels), 5), fontsize=8, frameon=False)


def legend_right(ax) -> None:
    """The legend of one panel, outside it on the right."""
    if ax.get_legend_handles_labels()[1]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)


def coinciding(panel: pd.DataFrame, value: str = "mean", curve: str = "model") -> bool:
    """True when at least two curves have points and, at every x where two or more do, their
    values agree to 1e-9 (relative): e.g. participants that every model ranks by popularity."""
    points = panel.dropna(subset=[value])
    points = points[points["participation"] > 0]
    if points[curve].nunique() < 2:
        return False
    spread = points.groupby("participation")[value].agg(lambda v: v.max() - v.min() if len(v) > 1 else np.nan)
    scale = points.groupby("participation")[value].agg(lambda v: max(1.0, float(np.abs(v).max())))
    spread = spread.dropna()
    return bool(len(spread)) and bool((spread <= _SAME * scale[spread.index]).all())


def note_coincide(ax, n_curves: int, why: str = "") -> None:
    """Say on the panel that its curves lie on top of each other, and why when known."""
    text = f"all {n_curves} models coincide" + (f":\n{why}" if why else "")
    ax.text(0.5, 0.96, text, transform=ax.transAxes, ha="center", va="top", fontsize=8,
            bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "#999", "alpha": 0.9})


__all__ = ["DPI", "band", "coinciding", "is_realised", "legend_below", "legend_right", "note_coincide", "save",
           "value_range", "with_x", "x_axis"]
