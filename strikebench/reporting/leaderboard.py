"""``strikebench leaderboard RESULTS_DIR``: models ranked by robustness, per dataset and lever.

Primary key: L(p*) with p* = 0.3 (conf/analysis/default.yaml), the loss share of the
personalisation gap for all users in the holdout view; smaller = more robust. Where p* was not
measured, L is interpolated between the measured participations around it, and the table says
so. Also: the p at which L reaches 0.5, the normalised area under the degradation curve, full-data
accuracy, and paired tests (per-user losses, paired by seed and user) between each model and the
next one down. Writes ``leaderboard.csv``, ``leaderboard.md`` and ``manifest.json`` (every cell
used, with its config hash, seed, versions, commit and published values).

``strikebench leaderboard verify MANIFEST --cells K [--seed S]`` re-runs sampled cells
(``strikebench.app.verify``; the tolerances are in ``reporting.verify``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from strikebench.analysis import (
    LossShareOptions, PairedComparison, loss_share_per_seed, paired_test, participation_thresholds,
)
from strikebench.analysis.aggregate import is_full_data, sign_of, t_interval
from strikebench.analysis.robustness import degradation_auc, loss_share_at, per_user_loss_share
from strikebench.reporting.formatting import MISSING, estimate, participation, pvalue
from strikebench.reporting.load import Results, load_results, metric_of
from strikebench.reporting import tolerances
from strikebench.reporting.manifest import build_manifest, write_manifest
from strikebench.reporting.settings import analysis_settings

BOARD = ["dataset", "lever", "selector"]
NEXT = ("vs", "test_p", "n_pairs", "mean_difference", "t_pvalue", "wilcoxon_pvalue")  # the paired test's columns
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


def _on_board(frame: pd.DataFrame, board: tuple) -> pd.Series:
    return (frame["dataset"] == board[0]) & (frame["lever"] == board[1]) & (frame["selector"] == board[2])


def _test_participation(scope: pd.DataFrame, board: tuple, models: list[str], p: float) -> float | None:
    """p itself if every model measured it, else the measured p closest to it (shared by all)."""
    rows = scope[_on_board(scope, board) & scope["model"].isin(models)]
    shared = None
    for _, m in rows.groupby("model"):
        ps = set(np.round(m.loc[m["participation"] > 0, "participation"], 12))
        shared = ps if shared is None else shared & ps
    if not shared:
        return None
    return min(shared, key=lambda q: (abs(q - p), q))


def _neighbour_tests(results: Results, scope: pd.DataFrame, ranked: pd.DataFrame, board: tuple,
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
    pu = results.per_user
    pu = pu[(pu["dataset"] == dataset) & (pu["company"] == "incumbent") & (pu["view"] == view)
            & pu["model"].isin(order)]
    pu = pu[((pu["lever"] == lever) & (pu["selector"] == selector)) | is_full_data(pu["participation"])]
    per_seed = loss_share_per_seed(scope[scope["dataset"] == dataset],
                                   LossShareOptions(reference_model=settings["reference_model"]))
    at = per_seed[(per_seed["lever"] == lever) & (per_seed["selector"] == selector)
                  & np.isclose(per_seed["participation"], test_p, rtol=0, atol=_TOL)]
    gaps = at.assign(gap=sign_of(at["metric"]) * (at["full_value"] - at["reference_value"]))
    gaps = gaps.loc[gaps["gap"] > _TOL, ["dataset", "model", "view", "seed", "gap"]].drop_duplicates()
    losses = per_user_loss_share(pu, gaps, metric, test_p)
    losses = losses[(losses["lever"] == lever) & (losses["selector"] == selector)]
    out = {}
    for a, b in zip(order, order[1:]):
        try:
            result = paired_test(losses, PairedComparison(metric, a={"model": a}, b={"model": b}))
        except ValueError as exc:  # e.g. a selection with no rows
            out[a] = {"vs": b, "test_p": test_p, "reason": str(exc)}
            continue
        out[a] = {"vs": b, "test_p": test_p, "n_pairs": result.n, "mean_difference": result.mean_difference,
                  "t_pvalue": result.t_pvalue, "wilcoxon_pvalue": result.wilcoxon_pvalue, "reason": ""}
    return out


def leaderboard_table(results: Results, settings: dict) -> pd.DataFrame:
    """The leaderboard with numbers (one row per dataset, lever, selector and model)."""
    return add_neighbour_tests(ranking_table(results.table, settings), results, settings)


def ranking_table(table: pd.DataFrame, settings: dict) -> pd.DataFrame:
    """The leaderboard without its paired tests: what the cells' mean values decide (the ranking,
    loss shares, thresholds, AUC, full-data accuracy). ``verify`` recomputes it from a manifest."""
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
        rows = at_p.loc[_on_board(at_p, board)].copy()
        th = thresholds.loc[_on_board(thresholds, board)]
        rows = rows.merge(th[["model", "participation", "ci_low", "ci_high", "reason"]].rename(columns={
            "participation": "p_at_level", "ci_low": "p_at_level_ci_low", "ci_high": "p_at_level_ci_high",
            "reason": "p_at_level_reason"}), on="model", how="left")
        a = auc.loc[_on_board(auc, board), ["model", "auc", "p_max", "reason"]]
        rows = rows.merge(a.rename(columns={"reason": "auc_reason", "p_max": "auc_p_max"}), on="model", how="left")
        rows = rows.merge(full, on=["dataset", "model"], how="left")
        rows = rows.rename(columns={"participation": "at_participation", "reason": "loss_share_reason"})
        rows = rows.sort_values(["loss_share", "model"], na_position="last", kind="mergesort").reset_index(drop=True)
        rows["rank"] = pd.array(np.where(rows["loss_share"].notna(), np.arange(1, len(rows) + 1), 0), dtype="Int64")
        rows.loc[rows["loss_share"].isna(), "rank"] = pd.NA
        boards.append(rows)
    if not boards:
        from strikebench.errors import StrikebenchError

        raise StrikebenchError("no curve to rank: the results hold no incumbent strike cell with p > 0")
    out = pd.concat(boards, ignore_index=True)
    front = ["dataset", "lever", "selector", "metric", "rank", "model", "family", "at_participation", "loss_share",
             "ci_low", "ci_high", "n_seeds", "interpolated", "loss_share_reason"]
    return out[front + [c for c in out.columns if c not in front and c not in ("company", "view", "group")]]


def add_neighbour_tests(ranking: pd.DataFrame, results: Results, settings: dict) -> pd.DataFrame:
    """``ranking`` with each model's paired test against the next one down (``next_*`` columns)."""
    metric = metric_of(results.table, settings["metric"])
    scope = _scope(results.table, settings, metric)
    p = float(settings["leaderboard"]["participation"])
    parts = []
    for board, rows in ranking.groupby(BOARD, sort=False):
        tests = _neighbour_tests(results, scope, rows, board, metric, p, settings)
        rows = rows.copy()
        for key in NEXT:
            rows[f"next_{key}"] = [tests.get(m, {}).get(key, np.nan) for m in rows["model"]]
        rows["next_reason"] = [tests.get(m, {}).get("reason", "") for m in rows["model"]]
        parts.append(rows)
    return pd.concat(parts, ignore_index=True)


def read_board(path) -> pd.DataFrame:
    """A written ``leaderboard.csv`` as :func:`markdown` reads it (empty reasons are "", not NaN)."""
    board = pd.read_csv(path)
    reasons = [c for c in board.columns if c.endswith("reason")]
    board[reasons] = board[reasons].astype(object).where(board[reasons].notna(), "")
    return board


def markdown(board: pd.DataFrame, settings: dict) -> str:
    lb = settings["leaderboard"]
    p, level = float(lb["participation"]), lb["loss_level"]
    lines = ["# strikebench leaderboard", "",
             f"Ranked by L({p:g}), the share of the personalisation gap (model on full data vs "
             f"{settings['reference_model']} on full data) lost when a share {p:g} of users strikes; "
             f"all users, {lb['view']} view, metric `{board['metric'].iloc[0]}`. Smaller = more robust. "
             "Intervals: 95% Student-t over seeds. AUC: area under M(p)/M(0) over the measured p, divided by the "
             "p range (1 = nothing lost). The test compares each model's per-user loss share with the next "
             "model's, paired by seed and user (t-test and Wilcoxon signed-rank; mean difference < 0: this "
             "model loses less).", ""]
    for board_key, rows in board.groupby(BOARD, sort=True):
        dataset, lever, selector = board_key
        lines += [f"## {dataset} — {lever} ({selector})", ""]
        interpolated = rows[rows["interpolated"] == True]  # noqa: E712 (column of bools)
        header = ["rank", "model", "family", f"L({p:g})", f"p at L = {level:g}", "AUC", "full data",
                  "seeds", "vs next: Δ loss share", "t p", "Wilcoxon p"]
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for r in rows.itertuples():
            loss = estimate(r.loss_share, r.ci_low, r.ci_high, r.loss_share_reason) + (" *" if r.interpolated else "")
            test = (f"{r.next_mean_difference:+.3f} vs {r.next_vs} (p={participation(r.next_test_p)}, n={int(r.next_n_pairs)})"
                    if isinstance(r.next_vs, str) and not r.next_reason else (f"{MISSING} ({r.next_reason})" if r.next_reason else MISSING))
            lines.append("| " + " | ".join([
                MISSING if pd.isna(r.rank) else str(int(r.rank)), r.model, str(r.family),
                loss, estimate(r.p_at_level, r.p_at_level_ci_low, r.p_at_level_ci_high, r.p_at_level_reason),
                estimate(r.auc, reason=r.auc_reason or None), estimate(r.full_data, r.full_data_ci_low, r.full_data_ci_high),
                str(int(r.n_seeds)), test, pvalue(r.next_t_pvalue), pvalue(r.next_wilcoxon_pvalue),
            ]) + " |")
        if len(interpolated):
            lines += ["", f"\\* L({p:g}) interpolated linearly between the measured participations around {p:g} "
                          f"(it was not measured for: {', '.join(interpolated['model'])})."]
        lines.append("")
    return "\n".join(lines)


def write_leaderboard(results_dir, out_dir=None, metric: str | None = None, participation_at: float | None = None,
                      log=print) -> dict[str, Path]:
    results = load_results(results_dir)
    settings = analysis_settings(metric=metric)
    if participation_at is not None:
        settings["leaderboard"]["participation"] = participation_at
    out_dir = Path(out_dir) if out_dir else results.results_dir / "leaderboard"
    out_dir.mkdir(parents=True, exist_ok=True)
    board = leaderboard_table(results, settings)
    paths = {"csv": out_dir / "leaderboard.csv", "markdown": out_dir / "leaderboard.md",
             "manifest": out_dir / "manifest.json"}
    board.to_csv(paths["csv"], index=False)
    paths["markdown"].write_text(markdown(board, settings), encoding="utf-8")
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
    args = parser.parse_args(argv)
    paths = write_leaderboard(args.results_dir, args.out, args.metric, args.participation)
    print(paths["markdown"].read_text(encoding="utf-8"))
    for name, path in paths.items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

__all__ = ["leaderboard_table", "main", "markdown", "write_leaderboard"]
