"""`strikebench leaderboard` on a tiny real sweep, and its robustness measures by hand."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from tests.reporting.test_report_sweep import N_CELLS, loss_share_by_hand, random_strike, tiny_results

from strikebench.analysis.robustness import degradation_auc, loss_share_at
from strikebench.results.per_user_table import per_user_table


def hand_table() -> pd.DataFrame:
    """Pop at 0.1 on full data; model M at 0.3 (p = 0), 0.26 / 0.24 (p = 0.2), 0.18 / 0.22 (p = 0.4)."""
    rows = [("Pop", 0.0, s, 0.1) for s in (0, 1)]
    rows += [("M", 0.0, 0, 0.3), ("M", 0.0, 1, 0.3), ("M", 0.2, 0, 0.26), ("M", 0.2, 1, 0.24),
             ("M", 0.4, 0, 0.18), ("M", 0.4, 1, 0.22)]
    return pd.DataFrame(rows, columns=["model", "participation", "seed", "value"]).assign(metric="ndcg@10")


def test_loss_share_at_a_measured_p_and_interpolated_by_hand():
    at = loss_share_at(hand_table(), 0.2).set_index("model")
    # gap = 0.3 - 0.1 = 0.2; L(0.2) = (0.3 - 0.25) / 0.2
    assert at.loc["M", "loss_share"] == pytest.approx(0.25) and not at.loc["M", "interpolated"]
    assert at.loc["Pop", "reason"] == "reference model"
    at = loss_share_at(hand_table(), 0.3).set_index("model")
    # halfway between L(0.2) = 0.25 and L(0.4) = (0.3 - 0.2) / 0.2 = 0.5
    assert at.loc["M", "loss_share"] == pytest.approx(0.375) and at.loc["M", "interpolated"]
    # per seed: L_0 = 0.2 -> 0.6 gives 0.4 at p = 0.3; L_1 = 0.3 -> 0.4 gives 0.35
    half = stats.t.ppf(0.975, 1) * np.std([0.4, 0.35], ddof=1) / np.sqrt(2)
    assert at.loc["M", "ci_low"] == pytest.approx(0.375 - half)
    assert at.loc["M", "ci_high"] == pytest.approx(0.375 + half)
    out = loss_share_at(hand_table(), 0.5).set_index("model")
    assert np.isnan(out.loc["M", "loss_share"])
    assert out.loc["M", "reason"] == "p=0.5 outside the measured participations [0, 0.4]"


def test_degradation_auc_by_hand():
    auc = degradation_auc(hand_table()).set_index("model")
    r = [1.0, 0.25 / 0.3, 0.2 / 0.3]
    area = 0.2 * (r[0] + r[1]) / 2 + 0.2 * (r[1] + r[2]) / 2
    assert auc.loc["M", "auc"] == pytest.approx(area / 0.4)
    assert auc.loc["Pop", "reason"] == "fewer than two participations"


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    return tiny_results(tmp_path_factory)


@pytest.mark.slow
def test_leaderboard_ranks_models_and_writes_csv_markdown_and_manifest(sweep, tmp_path):
    from strikebench.reporting.leaderboard import main

    assert main([str(sweep), "--out", str(tmp_path)]) == 0
    board = pd.read_csv(tmp_path / "leaderboard.csv")
    strike = board[(board["lever"] == "strike") & (board["selector"] == "random")].set_index("model")
    assert set(strike.index) == {"Pop", "ItemKNN", "EASE"}
    ranked = strike.dropna(subset=["rank"]).sort_values("rank")
    assert list(ranked["rank"]) == [1, 2] and (ranked["loss_share"].diff().dropna() >= 0).all()
    assert not ranked["interpolated"].any()
    assert strike.loc["Pop", "loss_share_reason"] == "reference model"
    best, second = ranked.index
    # the neighbour test pairs seeds x test users of ML-100K at p = 0.3
    assert strike.loc[best, "next_vs"] == second and strike.loc[best, "next_n_pairs"] == 2 * 943
    assert strike.loc[best, "next_mean_difference"] < 0
    assert np.isnan(strike.loc[best, "next_t_pvalue"])  # 2 seeds: no p-value (analysis.uncertainty), and why
    assert strike.loc[best, "next_reason"] == "p-values need at least 3 seeds (have 2)"
    assert strike.loc[best, "next_n_seeds"] == 2
    assert strike.loc[best, "next_ci_low"] <= strike.loc[best, "next_mean_difference"] <= strike.loc[best, "next_ci_high"]
    # every model's real seed count, the reference model's too (it has no L, but 2 seeds)
    assert dict(strike["seeds"]) == {"Pop": 2, "ItemKNN": 2, "EASE": 2}
    # EASE was measured up to p = 0.3 and its L(0.3), worked out from the per-user rows, is below 0.5
    per_user = per_user_table(sweep)
    ease, _, _ = loss_share_by_hand(per_user, "EASE", 0.3)
    assert strike.loc["EASE", "loss_share"] == pytest.approx(ease, abs=1e-9) and ease < 0.5
    assert strike.loc["EASE", "p_at_level_reason"] == "not reached within p ≤ 0.3"
    full = random_strike(per_user)
    full = full[(full["model"] == "ItemKNN") & (full["participation"] == 0.0)]
    assert strike.loc["ItemKNN", "full_data"] == pytest.approx(full.groupby("seed")["ndcg@10"].mean().mean(), abs=1e-9)
    assert 0 < strike.loc["ItemKNN", "auc"] < 1
    md = (tmp_path / "leaderboard.md").read_text()
    assert "## ml-100k — strike (random)" in md and "— (reference model)" in md
    # every model of the board has 2 seeds: the note names them in the board's order (ranked first)
    in_order = ", ".join(board.loc[(board["lever"] == "strike") & (board["selector"] == "random"), "model"])
    assert list(strike.index[:2]) == [best, second]
    assert f"† from fewer than 3 seeds ({in_order})" in md and "| 2† |" in md
    assert "— (p-values need at least 3 seeds (have 2))" in md and "never reached" not in md
    assert "hierarchical bootstrap (seeds, then users within seeds)" in md
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert len(manifest["cells"]) == N_CELLS
    for cell in manifest["cells"]:
        assert {"cell_key", "seed", "config", "versions", "git_commit", "published", "deterministic"} <= set(cell)
        assert cell["config"]["seed"] == cell["seed"]
    by_model = {c["model"]: c["deterministic"] for c in manifest["cells"]}
    assert by_model == {"Pop": True, "ItemKNN": True, "EASE": True}
    assert manifest["tolerances"]["trained"]["default"] == 0.02
    # The pins a reviewer rebuilds the environment from (pip install -c constraints/ci-py311.txt .)
    pins = Path(__file__).resolve().parents[2] / "constraints" / "ci-py311.txt"
    assert manifest["versions"]["constraints"]["file"] == "constraints/ci-py311.txt"
    assert manifest["versions"]["constraints"]["sha256"] == hashlib.sha256(pins.read_bytes()).hexdigest()


def test_seed_counts_and_the_range_a_level_was_sought_in_by_hand():
    from strikebench.reporting.leaderboard import ranking_table
    from strikebench.reporting.settings import analysis_settings

    # M: 3 seeds at p = 0.2, 2 at p = 0.4; L(0.2) = 0.25, L(0.4) = 0.4 < 0.5; Pop: 2 seeds
    rows = [("Pop", 0.0, s, 0.1) for s in (0, 1)] + [("M", 0.0, s, 0.3) for s in (0, 1, 2)]
    rows += [("M", 0.2, s, 0.25) for s in (0, 1, 2)] + [("M", 0.4, s, 0.22) for s in (0, 1)]
    rows += [("Pop", p, s, 0.1) for p in (0.2, 0.4) for s in (0, 1)]
    table = pd.DataFrame(rows, columns=["model", "participation", "seed", "value"]).assign(metric="ndcg@10")
    settings = analysis_settings()
    board = ranking_table(table, settings).set_index("model")
    assert board.loc["M", "loss_share"] == pytest.approx((0.3 - 0.235) / 0.2)  # halfway: interpolated at 0.3
    assert board.loc["M", "seeds"] == 2  # L(0.3) comes from the points at 0.2 (3 seeds) and 0.4 (2 seeds)
    assert board.loc["Pop", "seeds"] == 2
    assert board.loc["M", "p_at_level_reason"] == "not reached within p ≤ 0.4"
    settings["leaderboard"]["participation"] = 0.2
    assert ranking_table(table, settings).set_index("model").loc["M", "seeds"] == 3


@pytest.mark.slow
def test_leaderboard_interpolates_an_unmeasured_p_and_says_so(sweep, tmp_path):
    from strikebench.reporting.leaderboard import main

    assert main([str(sweep), "--out", str(tmp_path), "--participation", "0.4"]) == 0
    board = pd.read_csv(tmp_path / "leaderboard.csv")
    itemknn = board[(board["model"] == "ItemKNN") & (board["lever"] == "strike") & (board["selector"] == "random")]
    assert itemknn["interpolated"].item()
    md = (tmp_path / "leaderboard.md").read_text()
    assert "L(0.4) interpolated linearly" in md and "ItemKNN" in md.split("interpolated linearly")[1]


@pytest.mark.slow
def test_leaderboard_latex(sweep, tmp_path):
    from strikebench.reporting.leaderboard import main

    assert main([str(sweep), "--out", str(tmp_path), "--latex"]) == 0
    tex = (tmp_path / "leaderboard.tex").read_text()
    assert tex.count(r"\toprule") == tex.count(r"\bottomrule") == 2  # strike (random) and strike (women)
    assert r"\label{tab:leaderboard-ml-100k-strike-random}" in tex
    assert r"non\_personalised" in tex and r"\dag" in tex
