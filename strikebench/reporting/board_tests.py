"""The leaderboard's paired tests: each model's per-user loss share against the next model down.

Pairs are matched by seed and user, the seeds are the replicates (``analysis.paired_test``):
Δ is the mean over seeds of each seed's mean difference, its interval a hierarchical bootstrap
(seeds, then users within seeds), and p-values exist only with at least 3 seeds (else
``next_reason`` says so).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from strikebench.analysis import LossShareOptions, PairedComparison, loss_share_per_seed, paired_test
from strikebench.analysis.aggregate import is_full_data, sign_of
from strikebench.analysis.robustness import per_user_loss_share
from strikebench.analysis.uncertainty import HIERARCHICAL_BOOTSTRAP

BOARD = ["dataset", "lever", "selector"]
#: The paired test's columns, each written as ``next_<name>``.
NEXT = ("vs", "test_p", "n_pairs", "n_seeds", "mean_difference", "ci_low", "ci_high", "t_pvalue", "wilcoxon_pvalue")
CI_METHOD = HIERARCHICAL_BOOTSTRAP
_TOL = 1e-9


def on_board(frame: pd.DataFrame, board: tuple) -> pd.Series:
    return (frame["dataset"] == board[0]) & (frame["lever"] == board[1]) & (frame["selector"] == board[2])


def _test_participation(scope: pd.DataFrame, board: tuple, models: list[str], p: float) -> float | None:
    """p itself if every model measured it, else the measured p closest to it (shared by all)."""
    rows = scope[on_board(scope, board) & scope["model"].isin(models)]
    shared = None
    for _, m in rows.groupby("model"):
        ps = set(np.round(m.loc[m["participation"] > 0, "participation"], 12))
        shared = ps if shared is None else shared & ps
    if not shared:
        return None
    return min(shared, key=lambda q: (abs(q - p), q))


def neighbour_tests(per_user: pd.DataFrame, scope: pd.DataFrame, ranked: pd.DataFrame, board: tuple,
                    metric: str, p: float, settings: dict) -> dict[str, dict]:
    """model -> paired test of its per-user loss share against the next model down the ranking."""
    order = ranked.dropna(subset=["loss_share"])["model"].tolist()
    if len(order) < 2:
        return {}
    test_p = _test_participation(scope, board, order, p)
    if test_p is None:
        return {}
    dataset, lever, selector = board
    view = settings["leaderboard"]["view"]
    pu = per_user[(per_user["dataset"] == dataset) & (per_user["company"] == "incumbent")
                  & (per_user["view"] == view) & per_user["model"].isin(order)]
    pu = pu[((pu["lever"] == lever) & (pu["selector"] == selector)) | is_full_data(pu["participation"])]
    per_seed = loss_share_per_seed(scope[scope["dataset"] == dataset],
                                   LossShareOptions(reference_model=settings["reference_model"]))
    at = per_seed[(per_seed["lever"] == lever) & (per_seed["selector"] == selector)
                  & np.isclose(per_seed["participation"], test_p, rtol=0, atol=_TOL)]
    gaps = at.assign(gap=sign_of(at["metric"]) * (at["full_value"] - at["reference_value"]))
    keys = [k for k in ("study", "dataset", "model", "view", "seed") if k in gaps.columns]
    gaps = gaps.loc[gaps["gap"] > _TOL, keys + ["gap"]].drop_duplicates()
    losses = per_user_loss_share(pu, gaps, metric, test_p)
    losses = losses[(losses["lever"] == lever) & (losses["selector"] == selector)]
    out = {}
    for a, b in zip(order, order[1:]):
        try:
            result = paired_test(losses, PairedComparison(metric, a={"model": a}, b={"model": b}),
                                 confidence=settings["confidence"])
        except ValueError as exc:  # e.g. a selection with no rows
            out[a] = {"vs": b, "test_p": test_p, "reason": str(exc)}
            continue
        out[a] = {"vs": b, "test_p": test_p, "n_pairs": result.n, "n_seeds": result.n_seeds,
                  "mean_difference": result.mean_difference, "ci_low": result.ci_low, "ci_high": result.ci_high,
                  "t_pvalue": result.t_pvalue, "wilcoxon_pvalue": result.wilcoxon_pvalue, "reason": result.reason}
    return out


def add_neighbour_tests(ranking: pd.DataFrame, per_user: pd.DataFrame, scope: pd.DataFrame, metric: str,
                        settings: dict) -> pd.DataFrame:
    """``ranking`` with each model's paired test against the next one down (``next_*`` columns)."""
    p = float(settings["leaderboard"]["participation"])
    parts = []
    for board, rows in ranking.groupby(BOARD, sort=False):
        tests = neighbour_tests(per_user, scope, rows, board, metric, p, settings)
        rows = rows.copy()
        for key in NEXT:
            rows[f"next_{key}"] = [tests.get(m, {}).get(key, np.nan) for m in rows["model"]]
        rows["next_reason"] = [tests.get(m, {}).get("reason", "") for m in rows["model"]]
        parts.append(rows)
    return pd.concat(parts, ignore_index=True)


__all__ = ["BOARD", "CI_METHOD", "NEXT", "add_neighbour_tests", "neighbour_tests", "on_board"]
