"""The report's figures on hand-built tables, read back from the matplotlib objects and the files:
legends outside the axes, bands clipped to the metric's range, the realised participation on
the x axis, L(p) from (0, 0), a note where every model's curve coincides, titles from what the
lever did, and 300 dpi PNGs beside the SVGs."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from PIL import Image

from strikebench.analysis import validate_results_table
from strikebench.reporting import figure_kit, figures
from strikebench.reporting.participants import NO_DATA_LEFT, group_titles

STYLES = figures.model_styles(pd.DataFrame({"model": ["A", "B"], "family": ["f", "g"]}))


def cells(part_b=0.10, low=-0.05):
    """Two models at p = 0, 0.1, 0.2 in every group; participants of A and B at ``part_b`` / 0.10."""
    rows = []
    for model, base in (("A", 0.30), ("B", 0.20)):
        for p in (0.0, 0.1, 0.2):
            for group in ("all", "participants", "non_participants"):
                if group == "participants" and p == 0:
                    continue
                mean = (0.10 if model == "A" else part_b) if group == "participants" else base - p / 2
                rows.append({"model": model, "group": group, "participation": p, "mean": mean,
                             "ci_low": mean + low, "ci_high": mean + 0.05})
    return pd.DataFrame(rows)


@pytest.fixture
def captured(monkeypatch):
    """The figures a figure function would save, kept open for inspection."""
    figs = []
    monkeypatch.setattr(figure_kit, "save", lambda fig, out_dir, stem: figs.append(fig) or [f"{stem}.png"])
    return figs


def test_one_legend_below_the_panels_never_over_a_curve():
    fig = figures.group_panels(cells(), "ndcg@10", "title", STYLES)
    assert all(ax.get_legend() is None for ax in fig.axes)
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["A", "B"]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = legend.get_window_extent(renderer)
    for ax in fig.axes:
        assert not box.overlaps(ax.get_window_extent(renderer))


def test_bands_are_clipped_to_the_metrics_range():
    fig = figures.group_panels(cells(low=-0.5), "ndcg@10", "t", STYLES, limits=figure_kit.value_range("ndcg@10"))
    bands = [c for ax in fig.axes for c in ax.collections if isinstance(c, PolyCollection)]
    assert bands and min(p.vertices[:, 1].min() for band in bands for p in band.get_paths()) == 0.0
    assert figure_kit.value_range("ndcg@10") == (0.0, 1.0) and figure_kit.value_range("rmse") is None


def test_a_panel_whose_curves_coincide_says_so_and_why():
    fig = figures.group_panels(cells(part_b=0.10), "ndcg@10", "t", STYLES, why="no data left")
    notes = {ax.get_title(): [t.get_text() for t in ax.texts] for ax in fig.axes}
    assert notes["participants"] == ["all 2 models coincide:\nno data left"]
    assert notes["all users"] == [] and notes["non-participants"] == []
    fig = figures.group_panels(cells(part_b=0.11), "ndcg@10", "t", STYLES)
    assert all(len(ax.texts) == 0 for ax in fig.axes)


def test_curves_plot_the_realised_participation_where_recorded(captured, tmp_path):
    # 3 of 943 users is 0.00318, not the nominal 0.003; p = 0 stays 0
    table = validate_results_table(pd.DataFrame([
        {"model": m, "family": "f", "participation": p, "seed": s, "group": "all", "metric": "ndcg@10",
         "value": v, "realised_participation": r}
        for m in ("A", "B") for (p, r, v) in ((0.0, 0.0, 0.3), (0.003, 3 / 943, 0.29)) for s in (0, 1)]))
    figures.degradation_curves(table, "ndcg@10", "t", tmp_path, "c", STYLES)
    ax = captured[0].axes[0]
    assert ax.get_xlabel() == "participation (realised share of the group acting)"
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [0.0, 3 / 943])
    nominal = table.drop(columns="realised_participation")
    figures.degradation_curves(nominal, "ndcg@10", "t", tmp_path, "c", STYLES)
    assert captured[1].axes[0].get_xlabel() == "participation p (share of the group acting)"
    np.testing.assert_allclose(captured[1].axes[0].lines[0].get_xdata(), [0.0, 0.003])


def test_loss_share_curves_start_at_the_origin(captured, tmp_path):
    loss = pd.DataFrame({"model": ["A", "A"], "group": ["all", "all"], "participation": [0.1, 0.3],
                         "loss_share": [0.2, 0.5], "ci_low": [0.1, 0.4], "ci_high": [0.3, 0.6]})
    figures.loss_share_curves(loss, None, "L", tmp_path, "l", STYLES)
    line = captured[0].axes[0].lines[0]
    assert list(line.get_xdata()) == [0.0, 0.1, 0.3] and list(line.get_ydata()) == [0.0, 0.2, 0.5]
    assert captured[0].axes[0].get_ylabel() == "L(p): share of the personalisation gap lost"


def test_figures_are_300_dpi_png_beside_the_svg(tmp_path):
    fig = figures.group_panels(cells(), "ndcg@10", "a title", STYLES)
    assert figure_kit.save(fig, tmp_path, "f") == ["f.png", "f.svg"]
    assert Image.open(tmp_path / "f.png").info["dpi"] == pytest.approx((300, 300), abs=0.01)
    svg = (tmp_path / "f.svg").read_text()
    assert "<!-- a title -->" in svg and "<!-- participants -->" in svg


def counts(held: int, total: int) -> pd.DataFrame:
    """Participants' user counts of one cell in both views (metric rows of the long table)."""
    return pd.DataFrame([
        {"cell_key": "k", "seed": 0, "model": "A", "lever": "l", "selector": "random", "participation": 0.3,
         "company": "incumbent", "group": "participants", "view": view, "metric": metric, "n_users": n}
        for view, n in (("holdout", total), ("company", held)) for metric in ("ndcg@10", "hit@10")])


@pytest.mark.parametrize("held,total,title", [
    (0, 283, NO_DATA_LEFT),                                         # a strike: every participant's data is gone
    (283, 283, "participants (all keep some training data)"),       # a category strike or poisoning
    (100, 400, "participants (75% with no training data left)"),
])
def test_the_participants_panel_says_what_the_lever_did(held, total, title):
    titles, why = group_titles(counts(held, total))
    assert titles["participants"] == title and titles["all"] == "all users"
    assert bool(why) == (held == 0)
