"""``strikebench leaderboard RESULTS_DIR``: models ranked by robustness, per dataset and lever.

Primary key: L(p*) with p* = 0.3 (conf/analysis/default.yaml), the loss share of the
personalisation gap for all users in the holdout view; smaller = more robust. Where p* was not
measured, L is interpolated between the measured participations around it, and the table says
so. Also: the p at which L reaches 0.5, the normalised area under the degradation curve, full-data
accuracy, each model's real seed count, and paired tests (per-user losses, paired by seed and
user, seeds as the replicates) between each model and the next one down. One study only: a
results folder holding several is refused, naming them. Writes ``leaderboard.csv``,
``leaderboard.md`` and ``manifest.json`` (every cell used, with its config hash, seed, versions,
commit and published values), and ``leaderboard.tex`` with ``--latex``.

``strikebench leaderboard verify MANIFEST --cells K [--seed S]`` re-runs sampled cells
(``strikebench.app.verify``; the tolerances are in ``reporting.verify``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from strikebench.analysis import LossShareOptions, participation_thresholds, require_one_study, with_group_baselines
from strikebench.analysis.aggregate import as_results_table, is_full_data, t_interval
from strikebench.analysis.robustness import degradation_auc, loss_share_at
from strikebench.errors import StrikebenchError
from strikebench.reporting import tolerances
from strikebench.reporting.board_tests import BOARD, add_neighbour_tests, on_board
from strikebench.reporting.board_text import latex, markdown
from strikebench.reporting.formatting import not_reached
from strikebench.reporting.load import Results, load_results, metric_of
from strikebench.reporting.manifest import build_manifest, write_manifest
from strikebench.reporting.settings import analysis_settings
from strikebench.results.atomic import atomic_file

_TOL = 1e-9


def _scope(table: pd.DataFrame, settings: dict, metric: str) -> pd.DataFrame:
    lb = settings["leaderboard"]
    return table[(table["company"] == "incumbent") & (table["view"] == lb["view"]) & (table["group"] == lb["group"])
                 & (table["metric"] == metric)]


def _full_data(scope: pd.DataFrame) -> pd.DataFrame:
    """Full-data accuracy per dataset and model: mean over seeds of the p = 0 value (any lever)."""
    full = scope[is_full_data(scope["participation"])]
    per_seed = full.groupby(["dataset", "model", "seed"])["value"].mean().reset_index()
    rows = []
    for (dataset, model), s in per_seed.groupby(["dataset", "model"]):
        mean, low, high, n = t_interval(s["value"].to_numpy(float))
        rows.append({"dataset": dataset, "model": model, "full_data": mean, "full_data_ci_low": low,
                     "full_data_ci_high": high})
    return pd.DataFrame(rows, columns=["dataset", "model", "full_data", "full_data_ci_low", "full_data_ci_high"])


def _boards(scope: pd.DataFrame, competitor_levers: set) -> list[tuple]:
    """(dataset, lever, selector) with at least one p > 0; levers with a competitor are left to DLP."""
    acted = scope[(scope["participation"] > 0) & ~scope["lever"].isin(competitor_levers)]
    return sorted(acted[BOARD].drop_duplicates().itertuples(index=False, name=None))


def _curves(scope: pd.DataFrame, board: tuple, p: float) -> pd.DataFrame:
    """Per model on a board: ``seeds``, the seeds its L(p) comes from (those measured at p, or at the
    measured points p lies between), and ``p_max``, its largest measured participation."""
    rows = scope[on_board(scope, board) & (scope["participation"] > 0)].dropna(subset=["value"])
    out = []
    for model, m in rows.groupby("model"):
        counts = m.groupby("participation")["seed"].nunique()
        ps = counts.index.to_numpy(float)
        at = np.isclose(ps, p, rtol=0, atol=_TOL)
        if at.any():
            seeds = counts[at].iloc[0]
        else:
            below, above = ps[ps < p], ps[ps > p]
            bracket = ([below.max()] if len(below) else []) + ([above.min()] if len(above) else [])
            seeds = min(counts[b] for b in bracket)
        out.append({"model": model, "seeds": int(seeds), "p_max": float(ps.max())})
    return pd.DataFrame(out, columns=["model", "seeds", "p_max"])


def ranking_table(table: pd.DataFrame, settings: dict) -> pd.DataFrame:
    """The leaderboard without its paired tests: what the cells' mean values decide (the ranking,
    loss shares, thresholds, AUC, full-data accuracy, seed counts). ``verify`` recomputes it from a
    manifest. ``table``: one study's long table, with same-user baselines ``p0:<model>`` or without
    (for all users in the holdout view they are the p = 0 rows)."""
    table = as_results_table(table)
    require_one_study(table, "a leaderboard")
    metric = metric_of(table, settings["metric"])
    lb = settings["leaderboard"]
    p = float(lb["participation"])
    scope = _scope(table, settings, metric)
    competitor_levers = set(table.loc[table["company"] == "competitor", "lever"])
    options = LossShareOptions(reference_model=settings["reference_model"], confidence=settings["confidence"])
    at_p = loss_share_at(scope, p, options)
    thresholds = participation_thresholds(scope, levels=[lb["loss_level"]], options=options)
    auc = degradation_auc(scope)
    full = _full_data(scope)
    boards = []
    for board in _boards(scope, competitor_levers):
        rows = at_p.loc[on_board(at_p, board)].copy()
        th = thresholds.loc[on_board(thresholds, board)]
        rows = rows.merge(th[["model", "participation", "ci_low", "ci_high", "reason"]].rename(columns={
            "participation": "p_at_level", "ci_low": "p_at_level_ci_low", "ci_high": "p_at_level_ci_high",
            "reason": "p_at_level_reason"}), on="model", how="left")
        a = auc.loc[on_board(auc, board), ["model", "auc", "p_max", "reason"]]
        rows = rows.merge(a.rename(columns={"reason": "auc_reason", "p_max": "auc_p_max"}), on="model", how="left")
        rows = rows.merge(full, on=["dataset", "model"], how="left")
        curves = _curves(scope, board, p)
        rows = rows.merge(curves, on="model", how="left")
        rows["seeds"] = rows["seeds"].fillna(0).astype("int64")
        rows["p_at_level_reason"] = [not_reached(r, m) for r, m in zip(rows["p_at_level_reason"], rows["p_max"])]
        rows = rows.drop(columns="p_max")
        rows = rows.rename(columns={"participation": "at_participation", "reason": "loss_share_reason"})
        rows = rows.sort_values(["loss_share", "model"], na_position="last", kind="mergesort").reset_index(drop=True)
        rows["rank"] = pd.array(np.where(rows["loss_share"].notna(), np.arange(1, len(rows) + 1), 0), dtype="Int64")
        rows.loc[rows["loss_share"].isna(), "rank"] = pd.NA
        boards.append(rows)
    if not boards:
        raise StrikebenchError("no curve to rank: the results hold no incumbent strike cell with p > 0")
    out = pd.concat(boards, ignore_index=True)
    front = ["dataset", "lever", "selector", "metric", "rank", "model", "family", "at_participation", "loss_share",
             "ci_low", "ci_high", "n_seeds", "seeds", "interpolated", "loss_share_reason"]
    drop = ("study", "company", "view", "group")
    return out[front + [c for c in out.columns if c not in front and c not in drop]]


def board_of(table: pd.DataFrame, per_user: pd.DataFrame, settings: dict) -> pd.DataFrame:
    """The leaderboard of one study (``table``, ``per_user``), with its paired tests; every group is
    compared with the same users at p = 0."""
    require_one_study(table, "a leaderboard")
    metric = metric_of(table, settings["metric"])
    rows = table[table["metric"] == metric]
    if not per_user.empty and metric in per_user.columns:
        rows = with_group_baselines(rows, per_user)
    ranking = ranking_table(rows, settings)
    return add_neighbour_tests(ranking, per_user, _scope(rows, settings, metric), metric, settings)


def leaderboard_table(results: Results, settings: dict) -> pd.DataFrame:
    """The leaderboard with numbers (one row per dataset, lever, selector and model)."""
    return board_of(results.table, results.per_user, settings)


def read_board(path) -> pd.DataFrame:
    """A written ``leaderboard.csv`` as :func:`markdown` reads it (empty reasons are "", not NaN)."""
    board = pd.read_csv(path)
    reasons = [c for c in board.columns if c.endswith("reason")]
    board[reasons] = board[reasons].astype(object).where(board[reasons].notna(), "")
    return board


def write_leaderboard(results_dir, out_dir=None, metric: str | None = None, participation_at: float | None = None,
                      log=print, tex: bool = False) -> dict[str, Path]:
    results = load_results(results_dir)
    settings = analysis_settings(metric=metric)
    if participation_at is not None:
        settings["leaderboard"]["participation"] = participation_at
    out_dir = Path(out_dir) if out_dir else results.results_dir / "leaderboard"
    out_dir.mkdir(parents=True, exist_ok=True)
    board = leaderboard_table(results, settings)
    paths = {"csv": out_dir / "leaderboard.csv", "markdown": out_dir / "leaderboard.md",
             "manifest": out_dir / "manifest.json"}
    with atomic_file(paths["csv"]) as fh:
        board.to_csv(fh, index=False)
    with atomic_file(paths["markdown"], encoding="utf-8") as fh:
        fh.write(markdown(read_board(paths["csv"]), settings))
    if tex:
        paths["latex"] = out_dir / "leaderboard.tex"
        with atomic_file(paths["latex"], encoding="utf-8") as fh:
            fh.write(latex(read_board(paths["csv"]), settings))
    models = {r["config"]["model"]["name"] for r in results.records}
    deterministic = {m: tolerances.model_kind(m) == tolerances.DETERMINISTIC for m in models}
    manifest = build_manifest(results.records, deterministic, tolerances.TOLERANCES, settings,
                              {"csv": paths["csv"], "markdown": paths["markdown"]})
    write_manifest(manifest, paths["manifest"])
    log(f"leaderboard: {paths['markdown']} ({len(board)} rows, {len(manifest['cells'])} cells in the manifest)")
    return paths


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="strikebench leaderboard", description="Models ranked by robustness, per dataset and lever.",
                                     epilog="strikebench leaderboard verify MANIFEST --cells K re-runs cells.")
    parser.add_argument("results_dir", type=Path)
    parser.add_argument("--out", type=Path, default=None, help="default: RESULTS_DIR/leaderboard")
    parser.add_argument("--metric", default=None, help="default: conf/analysis/default.yaml (ndcg@10)")
    parser.add_argument("--participation", type=float, default=None, help="p of the primary key L(p) (default 0.3)")
    parser.add_argument("--latex", action="store_true", help="also write leaderboard.tex (booktabs)")
    args = parser.parse_args(argv)
    paths = write_leaderboard(args.results_dir, args.out, args.metric, args.participation, tex=args.latex)
    print(paths["markdown"].read_text(encoding="utf-8"))
    for name, path in paths.items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

__all__ = ["board_of", "leaderboard_table", "main", "markdown", "ranking_table", "read_board", "write_leaderboard"]
