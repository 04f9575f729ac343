"""Paired t and Wilcoxon tests between two cells, paired by seed and user."""
import math
from dataclasses import replace

import pandas as pd
import pytest

from strikebench.analysis.significance import PairedComparison, paired_differences_per_user, paired_test
from strikebench.analysis.table import ResultsTableError

BPR_VS_POP = PairedComparison("ndcg@10", {"model": "BPR"}, {"model": "Pop"})


def per_user():
    rows = [
        # model, seed, user, ndcg
        ("BPR", 0, "u1", 0.5), ("Pop", 0, "u1", 0.4),   # d = 0.1
        ("BPR", 0, "u2", 0.7), ("Pop", 0, "u2", 0.5),   # d = 0.2
        ("BPR", 1, "u1", 0.9), ("Pop", 1, "u1", 0.6),   # d = 0.3
        ("BPR", 1, "u2", 0.8),                          # no Pop partner -> dropped
        ("Pop", 2, "u1", 0.1),                          # no BPR partner -> dropped
    ]
    return pd.DataFrame([dict(model=m, participation=0.3, seed=s, user=u, participant=False,
                              **{"ndcg@10": v}) for m, s, u, v in rows])


def test_paired_by_seed_and_user_by_hand():
    res = paired_test(per_user(), BPR_VS_POP)
    # d = 0.1, 0.2, 0.3: n 3, mean 0.2, sd 0.1, t = 0.2 / (0.1 / sqrt(3)) = 3.4641016
    assert res.n == 3
    assert res.mean_difference == pytest.approx(0.2)
    assert res.t_statistic == pytest.approx(2 * math.sqrt(3))
    # df = 2: P(T > t) = (1 - t / sqrt(t^2 + 2)) / 2 = (1 - 3.4641016 / 3.7416574) / 2 = 0.0370900
    assert res.t_pvalue == pytest.approx(1 - 2 * math.sqrt(3) / math.sqrt(14), rel=1e-6)
    # Wilcoxon: all three d > 0 -> W = min(1+2+3, 0) = 0 ; exact two-sided p = 2 * (1/8) = 0.25
    assert res.wilcoxon_statistic == 0
    assert res.wilcoxon_pvalue == pytest.approx(0.25)
    assert set(res.as_dict()) == {"n", "mean_difference", "t_statistic", "t_pvalue",
                                  "wilcoxon_statistic", "wilcoxon_pvalue"}


def test_pairs_table():
    pairs = paired_differences_per_user(per_user(), BPR_VS_POP)
    assert pairs[["seed", "user"]].values.tolist() == [[0, "u1"], [0, "u2"], [1, "u1"]]
    assert pairs["difference"].tolist() == pytest.approx([0.1, 0.2, 0.3])


def test_degenerate_cases():
    df = per_user()
    same = paired_test(df, PairedComparison("ndcg@10", {"model": "BPR"}, {"model": "BPR"}))
    assert same.n == 4 and same.mean_difference == 0
    assert math.isnan(same.wilcoxon_pvalue) and math.isnan(same.t_pvalue)
    one = paired_test(df, PairedComparison("ndcg@10", {"model": "BPR", "seed": 1}, {"model": "Pop", "seed": 2},
                                       pair_on=["user"]))
    assert one.n == 1 and math.isnan(one.t_statistic)


def test_ambiguous_or_empty_selection():
    df = pd.concat([per_user(), per_user().assign(participation=0.5)])
    with pytest.raises(ResultsTableError, match="participation"):
        paired_test(df, BPR_VS_POP)
    res = paired_test(df, replace(BPR_VS_POP, where={"participation": 0.5}))
    assert res.n == 3
    with pytest.raises(ResultsTableError, match="matches no rows"):
        paired_test(df, PairedComparison("ndcg@10", {"model": "SVD"}, {"model": "Pop"}))
