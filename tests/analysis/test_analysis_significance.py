"""Paired tests between two cells: pairs by seed and user, replicates are the seeds."""
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from strikebench.analysis.significance import PairedComparison, paired_differences_per_user, paired_test
from strikebench.analysis.table import ResultsTableError
from strikebench.analysis.uncertainty import HIERARCHICAL_BOOTSTRAP, hierarchical_bootstrap

BPR_VS_POP = PairedComparison("ndcg@10", {"model": "BPR"}, {"model": "Pop"})


def per_user():
    rows = [
        # model, seed, user, ndcg
        ("BPR", 0, "u1", 0.5), ("Pop", 0, "u1", 0.4),    # d = 0.1
        ("BPR", 0, "u2", 0.7), ("Pop", 0, "u2", 0.5),    # d = 0.2   seed 0: dbar = 0.15
        ("BPR", 1, "u1", 0.9), ("Pop", 1, "u1", 0.6),    # d = 0.3   seed 1: dbar = 0.3
        ("BPR", 1, "u2", 0.8),                           # no Pop partner -> dropped
        ("BPR", 2, "u1", 0.55), ("Pop", 2, "u1", 0.1),   # d = 0.45  seed 2: dbar = 0.45
        ("Pop", 3, "u1", 0.1),                           # no BPR partner -> dropped
    ]
    return pd.DataFrame([dict(model=m, participation=0.3, seed=s, user=u, participant=False,
                              **{"ndcg@10": v}) for m, s, u, v in rows])


def test_tests_run_over_seeds_by_hand():
    res = paired_test(per_user(), BPR_VS_POP, ci="t")
    # per-seed means 0.15, 0.3, 0.45: every seed weighs the same (the mean over the 4 pairs would be 0.2625)
    assert (res.n, res.n_seeds) == (4, 3)
    assert res.mean_difference == pytest.approx(0.3)
    # t = 0.3 / (0.15 / sqrt(3)) = 3.4641016 with 2 degrees of freedom (not 3: the pairs of a seed are one replicate)
    assert res.t_statistic == pytest.approx(2 * math.sqrt(3))
    # P(|T_2| > t) = 1 - t / sqrt(t^2 + 2) = 1 - 3.4641016 / 3.7416574 = 0.0741799
    assert res.t_pvalue == pytest.approx(1 - 2 * math.sqrt(3) / math.sqrt(14), rel=1e-6)
    # Wilcoxon on the three seed means, all > 0: W = 0, exact two-sided p = 2 * (1/8) = 0.25
    assert res.wilcoxon_statistic == 0 and res.wilcoxon_pvalue == pytest.approx(0.25)
    # t-interval over the seeds: 0.3 +/- t_{0.975,2} * 0.15 / sqrt(3) = 0.3 +/- 0.3726206
    assert (res.ci_low, res.ci_high) == pytest.approx((0.3 - 0.3726206, 0.3 + 0.3726206), abs=1e-6)
    assert res.ci_method == "t over seeds" and res.reason == ""
    assert set(res.as_dict()) == {"n", "n_seeds", "mean_difference", "ci_low", "ci_high", "ci_method",
                                  "t_statistic", "t_pvalue", "wilcoxon_statistic", "wilcoxon_pvalue", "reason"}


def test_no_p_value_below_three_seeds():
    two = per_user()[per_user()["seed"] < 2]
    res = paired_test(two, BPR_VS_POP)
    # seeds 0 and 1: mean (0.15 + 0.3) / 2 = 0.225, but no test from 2 replicates, however many users
    assert res.mean_difference == pytest.approx(0.225) and res.n_seeds == 2
    assert all(math.isnan(x) for x in (res.t_statistic, res.t_pvalue, res.wilcoxon_statistic, res.wilcoxon_pvalue))
    assert res.reason == "p-values need at least 3 seeds (have 2)"


def test_hierarchical_bootstrap_by_hand():
    # two seeds whose users all have d = 0.1 (seed 0) and 0.3 (seed 1): resampling users changes
    # nothing, resampling seeds gives 0.1, 0.2, 0.3 with probability 1/4, 1/2, 1/4 -> 95% interval [0.1, 0.3]
    frame = pd.DataFrame({"seed": [0, 0, 0, 1, 1, 1], "d": [0.1] * 3 + [0.3] * 3})
    est, low, high, method = hierarchical_bootstrap(frame, "d")
    assert (est, low, high) == pytest.approx((0.2, 0.1, 0.3)) and method == HIERARCHICAL_BOOTSTRAP
    # two seeds with the same users' spread (0 and 0.2 in each): the seed means agree (a t-interval
    # over seeds has width 0), but the users within seeds vary: each seed's resampled mean is 0, 0.1,
    # 0.2 with probability 1/4, 1/2, 1/4; their average is 0 with probability 1/16 > 2.5% -> [0, 0.2]
    frame = pd.DataFrame({"seed": [0, 0, 1, 1], "d": [0.0, 0.2, 0.0, 0.2]})
    assert hierarchical_bootstrap(frame, "d")[:3] == pytest.approx((0.1, 0.0, 0.2))
    # one seed says nothing about another draw: no interval
    est, low, high, _ = hierarchical_bootstrap(frame[frame["seed"] == 0], "d")
    assert est == pytest.approx(0.1) and math.isnan(low) and math.isnan(high)
    # the paired test's default interval is this bootstrap
    res = paired_test(per_user(), BPR_VS_POP)
    assert res.ci_method == HIERARCHICAL_BOOTSTRAP and 0.15 <= res.ci_low < 0.3 < res.ci_high <= 0.45


def test_pairs_table():
    pairs = paired_differences_per_user(per_user(), BPR_VS_POP)
    assert pairs[["seed", "user"]].values.tolist() == [[0, "u1"], [0, "u2"], [1, "u1"], [2, "u1"]]
    assert pairs["difference"].tolist() == pytest.approx([0.1, 0.2, 0.3, 0.45])


def test_degenerate_cases():
    df = per_user()
    same = paired_test(df, PairedComparison("ndcg@10", {"model": "BPR"}, {"model": "BPR"}))
    assert same.n == 5 and same.mean_difference == 0
    assert math.isnan(same.wilcoxon_pvalue) and math.isnan(same.t_pvalue)
    # pairing users across two different draws: side A's seed is the replicate (one seed here)
    one = paired_test(df, PairedComparison("ndcg@10", {"model": "BPR", "seed": 1}, {"model": "Pop", "seed": 2},
                                           pair_on=["user"]))
    assert one.n == 1 and one.n_seeds == 1 and math.isnan(one.t_statistic)
    with pytest.raises(ValueError, match="ci"):
        paired_test(df, BPR_VS_POP, ci="normal")


def test_ambiguous_or_empty_selection():
    df = pd.concat([per_user(), per_user().assign(participation=0.5)])
    with pytest.raises(ResultsTableError, match="participation"):
        paired_test(df, BPR_VS_POP)
    res = paired_test(df, replace(BPR_VS_POP, where={"participation": 0.5}))
    assert res.n == 4
    with pytest.raises(ResultsTableError, match="matches no rows"):
        paired_test(df, PairedComparison("ndcg@10", {"model": "SVD"}, {"model": "Pop"}))


def test_one_study_per_test():
    df = pd.concat([per_user().assign(study="A"), per_user().assign(study="B")])
    with pytest.raises(ResultsTableError, match="study"):  # every side has two rows per (seed, user)
        paired_test(df, BPR_VS_POP)
    across = PairedComparison("ndcg@10", {"model": "BPR", "study": "A"}, {"model": "Pop", "study": "B"})
    with pytest.raises(ResultsTableError, match="one study only.*A, B"):
        paired_test(df, across)
    assert paired_test(df, replace(BPR_VS_POP, where={"study": "B"})).n == 4
    assert not np.isnan(paired_test(df, replace(BPR_VS_POP, where={"study": "B"})).t_pvalue)
