"""Means, t-intervals over seeds, and differences paired with p = 0."""
import math

import numpy as np
import pytest

from strikebench.analysis.aggregate import (
    paired_differences, summarise_cells, summarise_paired_differences, t_interval,
)

T975_DF1 = 12.706204736174703  # t_{0.975, 1}
T975_DF2 = 4.302652729749464   # t_{0.975, 2}


def test_t_interval_by_hand():
    # values 1, 2, 3: mean 2, sd 1, half = t_{.975,2} * 1 / sqrt(3) = 4.302653 / 1.732051 = 2.484138
    mean, low, high, n = t_interval([1.0, 2.0, 3.0, np.nan])
    assert (mean, n) == (2.0, 3)
    assert low == pytest.approx(2 - 2.484138, abs=1e-6)
    assert high == pytest.approx(2 + 2.484138, abs=1e-6)


def test_single_seed_gives_nan_ci_not_zero():
    mean, low, high, n = t_interval([0.3])
    assert mean == 0.3 and n == 1 and math.isnan(low) and math.isnan(high)
    assert all(math.isnan(x) for x in t_interval([np.nan])[:3])


def test_summarise_cells(make_table):
    t = make_table([
        dict(model="BPR", participation=0.3, seed=0, metric="ndcg@10", value=0.1),
        dict(model="BPR", participation=0.3, seed=1, metric="ndcg@10", value=0.2),
        dict(model="BPR", participation=0.3, seed=2, metric="ndcg@10", value=0.3),
        dict(model="BPR", participation=0.3, seed=3, metric="ndcg@10", value=np.nan),  # empty group
        dict(model="Pop", participation=0.0, seed=0, metric="ndcg@10", value=0.05),
    ])
    out = summarise_cells(t).set_index("model")
    # BPR: mean 0.2, sd 0.1, half = 4.302653 * 0.1 / sqrt(3) = 0.2484138; the NaN seed not counted
    assert out.loc["BPR", "mean"] == pytest.approx(0.2)
    assert out.loc["BPR", "n_seeds"] == 3
    assert out.loc["BPR", "ci_low"] == pytest.approx(0.2 - 0.2484138, abs=1e-7)
    assert out.loc["BPR", "ci_high"] == pytest.approx(0.2 + 0.2484138, abs=1e-7)
    # Pop: one seed -> CI NaN
    assert out.loc["Pop", "n_seeds"] == 1 and np.isnan(out.loc["Pop", "ci_low"])


def _paired_rows():
    rows = []
    for seed, full, struck in [(0, 0.5, 0.4), (1, 0.6, 0.45)]:
        rows.append(dict(model="BPR", participation=0.0, seed=seed, metric="hit@10", value=full))
        rows.append(dict(model="BPR", participation=0.3, seed=seed, metric="hit@10", value=struck))
        # transfer has no p = 0 row of its own: it pairs with the strike's p = 0 (pooled)
        rows.append(dict(model="BPR", lever="transfer+strike", participation=0.3, seed=seed,
                         metric="hit@10", value=struck - 0.1))
        rows.append(dict(model="BPR", participation=0.3, seed=seed, metric="hit@10",
                         group="participants", value=struck - 0.2))
    rows.append(dict(model="BPR", participation=0.3, seed=7, metric="hit@10", value=0.3))  # no partner
    return rows


def test_paired_differences_by_hand(make_table):
    t = make_table(_paired_rows())
    d = paired_differences(t)
    strike = d[(d["lever"] == "strike") & (d["group"] == "all") & (d["participation"] == 0.3)]
    # seed 0: 0.4 - 0.5 = -0.1; seed 1: 0.45 - 0.6 = -0.15; seed 7: no p = 0 partner -> NaN
    assert strike.set_index("seed")["difference"].loc[[0, 1]].tolist() == pytest.approx([-0.1, -0.15])
    assert np.isnan(strike.set_index("seed").loc[7, "difference"])
    summary = summarise_paired_differences(t).set_index(["lever", "group", "participation"])
    row = summary.loc[("strike", "all", 0.3)]
    # mean -0.125, sd = 0.05/sqrt(2) = 0.0353553, half = 12.706205 * 0.0353553 / sqrt(2) = 0.3176551
    assert row["mean"] == pytest.approx(-0.125)
    assert row["n_seeds"] == 2
    assert row["ci_high"] == pytest.approx(-0.125 + 0.3176551, abs=1e-6)
    transfer = summary.loc[("transfer+strike", "all", 0.3)]
    # pooled p = 0 of the strike lever: (0.3 - 0.5 = -0.2, 0.35 - 0.6 = -0.25) -> mean -0.225
    assert transfer["mean"] == pytest.approx(-0.225)


def test_paired_differences_groups_need_their_own_users(make_table):
    t = make_table(_paired_rows())
    # participants at p: without a same-user baseline (p0:BPR) there is no partner - never everyone's p = 0
    d = summarise_paired_differences(t).set_index(["lever", "group", "participation"])
    assert np.isnan(d.loc[("strike", "participants", 0.3), "mean"])
    assert d.loc[("strike", "all", 0.3), "method"] == "t over seeds"
    # with the participants' own p = 0 values (0.55 for seed 0, 0.6 for seed 1):
    # seed 0: 0.2 - 0.55 = -0.35 ; seed 1: 0.25 - 0.6 = -0.35 -> mean -0.35
    rows = _paired_rows()
    for row in rows:
        if row.get("group") == "participants":
            row["p0:BPR"] = {0: 0.55, 1: 0.6}[row["seed"]]
    d = summarise_paired_differences(make_table(rows)).set_index(["lever", "group", "participation"])
    assert d.loc[("strike", "participants", 0.3), "mean"] == pytest.approx(-0.35)
    assert d.loc[("strike", "all", 0.3), "mean"] == pytest.approx(-0.125)  # unchanged: no p0 column value
