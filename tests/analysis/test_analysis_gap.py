"""Loss as a share of the personalisation gap, L(p) = (M(0) - M(p)) / (M(0) - M_ref)."""
import numpy as np
import pytest

from strikebench.analysis.baselines import REASON_NO_SAME_USERS
from strikebench.analysis.gap import (
    REASON_GAP, REASON_GAP_CI, REASON_NO_FULL, REASON_NO_REFERENCE, REASON_NO_VALUE, REASON_REFERENCE,
    LossShareOptions, loss_share, loss_share_per_seed, personalisation_gap,
)

T975_DF1 = 12.706204736174703


def two_seed_rows(metric="ndcg@10", dataset="d"):
    #            seed 0  seed 1   mean
    # MF p=0      0.40    0.44    0.42
    # MF p=0.5    0.30    0.32    0.31
    # Pop p=0     0.20    0.22    0.21
    rows = []
    for seed, m0, mp, ref in [(0, 0.40, 0.30, 0.20), (1, 0.44, 0.32, 0.22)]:
        rows += [dict(dataset=dataset, model="MF", participation=0.0, seed=seed, metric=metric, value=m0),
                 dict(dataset=dataset, model="MF", participation=0.5, seed=seed, metric=metric, value=mp),
                 dict(dataset=dataset, model="Pop", participation=0.0, seed=seed, metric=metric, value=ref)]
    return rows


def cell(out, model="MF", p=0.5, **keys):
    sel = (out["model"] == model) & np.isclose(out["participation"], p)
    for k, v in keys.items():
        sel &= out[k] == v
    assert sel.sum() == 1
    return out[sel].iloc[0]


def test_loss_share_point_and_ci_by_hand(make_table):
    out = loss_share(make_table(two_seed_rows()))
    row = cell(out)
    # ratio of means: (0.42 - 0.31) / (0.42 - 0.21) = 0.11 / 0.21 = 0.5238095
    assert row["loss_share"] == pytest.approx(0.11 / 0.21)
    # per seed: (0.40-0.30)/(0.40-0.20) = 0.5 ; (0.44-0.32)/(0.44-0.22) = 0.12/0.22 = 0.5454545
    # sd/sqrt(2) = |0.5454545 - 0.5| / 2 = 0.0227273 ; half = 12.706205 * 0.0227273 = 0.2887774
    assert row["n_seeds"] == 2
    assert row["ci_low"] == pytest.approx(0.11 / 0.21 - 0.2887774, abs=1e-6)
    assert row["ci_high"] == pytest.approx(0.11 / 0.21 + 0.2887774, abs=1e-6)
    # gap 0.21; per-seed gaps 0.20, 0.22 -> half = 12.706205 * 0.01 = 0.1270620
    assert row["gap"] == pytest.approx(0.21)
    assert row["gap_ci_low"] == pytest.approx(0.21 - 0.1270620, abs=1e-6)
    assert row["reason"] == ""
    assert cell(out, p=0.0)["loss_share"] == pytest.approx(0.0)
    per_seed = loss_share_per_seed(make_table(two_seed_rows()))
    ps = per_seed[(per_seed["model"] == "MF") & (per_seed["participation"] == 0.5)].sort_values("seed")
    assert ps["loss_share"].tolist() == pytest.approx([0.5, 0.12 / 0.22])


def test_reference_model_itself_is_undefined(make_table):
    row = cell(loss_share(make_table(two_seed_rows())), model="Pop", p=0.0)
    assert np.isnan(row["loss_share"]) and row["reason"] == REASON_REFERENCE


def test_configurable_reference_model(make_table):
    rows = [dict(model="MF", participation=0.0, metric="ndcg@10", value=0.4),
            dict(model="MF", participation=0.5, metric="ndcg@10", value=0.3),
            dict(model="ItemMean", participation=0.0, metric="ndcg@10", value=0.2)]
    t = make_table(rows)
    assert cell(loss_share(t), p=0.5)["reason"] == REASON_NO_REFERENCE  # no "Pop"
    # (0.4 - 0.3) / (0.4 - 0.2) = 0.5
    assert cell(loss_share(t, LossShareOptions(reference_model="ItemMean")), p=0.5)["loss_share"] == pytest.approx(0.5)


def test_single_seed_has_value_but_no_ci(make_table):
    rows = [r for r in two_seed_rows() if r["seed"] == 0]
    row = cell(loss_share(make_table(rows)))
    # (0.40 - 0.30) / (0.40 - 0.20) = 0.5 ; one seed: CI NaN, gap CI NaN (not a reason)
    assert row["loss_share"] == pytest.approx(0.5)
    assert row["n_seeds"] == 1 and np.isnan(row["ci_low"]) and np.isnan(row["gap_ci_low"])
    assert row["reason"] == ""


def test_gap_not_positive(make_table):
    rows = [dict(model="MF", participation=0.0, metric="ndcg@10", value=0.20),
            dict(model="MF", participation=0.5, metric="ndcg@10", value=0.10),
            dict(model="Pop", participation=0.0, metric="ndcg@10", value=0.25)]
    row = cell(loss_share(make_table(rows)))
    # gap = 0.20 - 0.25 = -0.05 <= tolerance
    assert row["gap"] == pytest.approx(-0.05)
    assert np.isnan(row["loss_share"]) and row["reason"] == REASON_GAP
    # equal -> gap 0, also not positive
    rows[2]["value"] = 0.20
    assert cell(loss_share(make_table(rows)))["reason"] == REASON_GAP


def test_gap_ci_including_zero(make_table):
    rows = []
    for seed, m0, ref in [(0, 0.30, 0.15), (1, 0.10, 0.16)]:
        rows += [dict(model="MF", participation=0.0, seed=seed, metric="ndcg@10", value=m0),
                 dict(model="MF", participation=0.5, seed=seed, metric="ndcg@10", value=m0 - 0.01),
                 dict(model="Pop", participation=0.0, seed=seed, metric="ndcg@10", value=ref)]
    row = cell(loss_share(make_table(rows)))
    # gap = 0.20 - 0.155 = 0.045 > 0, but per-seed gaps 0.15, -0.06: half = 12.706 * 0.105 -> CI spans 0
    assert row["gap"] == pytest.approx(0.045)
    assert row["gap_ci_low"] < 0 < row["gap_ci_high"]
    assert np.isnan(row["loss_share"]) and row["reason"] == REASON_GAP_CI


def test_unpaired_reference_seed_uses_its_mean(make_table):
    # Pop run once (seed 0) while MF has seeds 0 and 1; seed 1 uses Pop's mean 0.2
    rows = [dict(model="MF", participation=0.0, seed=0, metric="ndcg@10", value=0.40),
            dict(model="MF", participation=0.0, seed=1, metric="ndcg@10", value=0.42),
            dict(model="MF", participation=0.5, seed=0, metric="ndcg@10", value=0.30),
            dict(model="MF", participation=0.5, seed=1, metric="ndcg@10", value=0.31),
            dict(model="Pop", participation=0.0, seed=0, metric="ndcg@10", value=0.20)]
    t = make_table(rows)
    row = cell(loss_share(t))
    # means: M0 0.41, M 0.305, Mref 0.2 -> (0.41 - 0.305) / (0.41 - 0.2) = 0.105 / 0.21 = 0.5
    # per-seed gaps 0.20, 0.22 -> gap CI 0.21 +/- 12.706 * 0.01 = [0.083, 0.337], clear of 0
    assert row["loss_share"] == pytest.approx(0.5)
    assert row["gap_ci_low"] == pytest.approx(0.21 - 0.1270620, abs=1e-6)
    ps = loss_share_per_seed(t)
    ps = ps[(ps["model"] == "MF") & (ps["participation"] == 0.5)].sort_values("seed")
    # seed 0: 0.1/0.2 = 0.5 ; seed 1: (0.42-0.31)/(0.42-0.2) = 0.11/0.22 = 0.5
    assert ps["loss_share"].tolist() == pytest.approx([0.5, 0.5])
    assert ps["reference_value"].tolist() == pytest.approx([0.2, 0.2])


def test_lower_is_better_metric_is_mirrored(make_table):
    rows = [dict(model="MF", participation=0.0, metric="rmse", value=0.90),
            dict(model="MF", participation=0.5, metric="rmse", value=0.95),
            dict(model="Pop", participation=0.0, metric="rmse", value=1.00)]
    row = cell(loss_share(make_table(rows)))
    # gap = -(0.90 - 1.00) = 0.10 ; L = (0.90 - 0.95) / (0.90 - 1.00) = 0.5
    assert row["gap"] == pytest.approx(0.10)
    assert row["loss_share"] == pytest.approx(0.5)
    # MF worse than Pop in rmse: gap = -(1.10 - 1.00) = -0.10 -> undefined (unmirrored it looked positive)
    rows[0]["value"] = 1.10
    row = cell(loss_share(make_table(rows)))
    assert row["gap"] == pytest.approx(-0.10) and row["reason"] == REASON_GAP
    # a metric named by the caller
    rows = [dict(model="MF", participation=0.0, metric="err@10", value=0.2),
            dict(model="MF", participation=0.5, metric="err@10", value=0.3),
            dict(model="Pop", participation=0.0, metric="err@10", value=0.6)]
    row = cell(loss_share(make_table(rows), LossShareOptions(lower_is_better={"err"})))
    # gap = 0.6 - 0.2 = 0.4 ; L = (0.2 - 0.3) / (0.2 - 0.6) = 0.25
    assert row["gap"] == pytest.approx(0.4) and row["loss_share"] == pytest.approx(0.25)


def test_groups_views_and_company_match(make_table):
    rows = [
        dict(model="MF", participation=0.0, metric="hit@10", value=0.5),
        dict(model="MF", participation=0.3, metric="hit@10", value=0.4),
        dict(model="MF", participation=0.3, metric="hit@10", group="participants", value=0.2),
        dict(model="MF", participation=0.0, metric="hit@10", group="participants", value=np.nan),
        dict(model="Pop", participation=0.0, metric="hit@10", value=0.1),
        dict(model="Pop", participation=0.0, metric="hit@10", group="participants", value=np.nan),
        # a competitor's Pop is not the reference
        dict(model="Pop", company="competitor", participation=0.0, metric="hit@10", value=0.0),
        # the company view has its own M(0) and reference
        dict(model="MF", view="company", participation=0.0, metric="hit@10", value=0.6),
        dict(model="MF", view="company", participation=0.3, metric="hit@10", value=0.5),
        dict(model="Pop", view="company", participation=0.0, metric="hit@10", value=0.2),
    ]
    t = make_table(rows)
    out = loss_share(t)
    # all: (0.5 - 0.4) / (0.5 - 0.1) = 0.25 ; company view: (0.6 - 0.5) / (0.6 - 0.2) = 0.25
    assert cell(out, p=0.3, group="all", view="holdout")["loss_share"] == pytest.approx(0.25)
    assert cell(out, p=0.3, group="all", view="company")["loss_share"] == pytest.approx(0.25)
    # participants: never compared with everyone's p = 0 value; only with their own (p0: columns)
    assert cell(out, p=0.3, group="participants")["reason"] == REASON_NO_SAME_USERS
    assert cell(out, p=0.0, group="participants")["reason"] == REASON_NO_VALUE  # empty group
    rows[2].update({"p0:MF": 0.6, "p0:Pop": 0.2})
    # (0.6 - 0.2) / (0.6 - 0.2) = 1.0 (everyone's p = 0 would have said (0.5 - 0.2) / 0.4 = 0.75)
    row = cell(loss_share(make_table(rows)), p=0.3, group="participants")
    assert row["loss_share"] == pytest.approx(1.0) and row["full_value"] == pytest.approx(0.6)


def test_full_data_pooled_over_levers(make_table):
    rows = [dict(model="MF", participation=0.0, metric="hit@10", value=0.5),
            dict(model="MF", lever="withhold", participation=0.3, metric="hit@10", value=0.3),
            dict(model="Pop", lever="withhold", participation=0.0, metric="hit@10", value=0.1)]
    row = cell(loss_share(make_table(rows)), p=0.3)
    # M(0) from the strike lever's p = 0 run: (0.5 - 0.3) / (0.5 - 0.1) = 0.5
    assert row["loss_share"] == pytest.approx(0.5)


def test_personalisation_gap_table(make_table):
    gap = personalisation_gap(make_table(two_seed_rows()))
    row = gap[(gap["model"] == "MF") & (gap["participation"] == 0.5)].iloc[0]
    assert row["full_value"] == pytest.approx(0.42) and row["reference_value"] == pytest.approx(0.21)
    assert row["gap_n_seeds"] == 2 and row["method"] == "t over seeds"


def test_no_full_data_value(make_table):
    rows = [dict(model="MF", participation=0.5, metric="ndcg@10", value=0.3),
            dict(model="Pop", participation=0.0, metric="ndcg@10", value=0.1)]
    assert cell(loss_share(make_table(rows)))["reason"] == REASON_NO_FULL


def test_baselines_come_from_the_same_study(make_table):
    # study B has MF on full data at 0.40 and Pop at 0.20; study A only MF's curve and its own Pop
    rows = [dict(study="A", model="MF", participation=0.0, metric="ndcg@10", value=0.30),
            dict(study="A", model="MF", participation=0.5, metric="ndcg@10", value=0.25),
            dict(study="B", model="MF", participation=0.0, metric="ndcg@10", value=0.40),
            dict(study="B", model="MF", participation=0.5, metric="ndcg@10", value=0.30),
            dict(study="B", model="Pop", participation=0.0, metric="ndcg@10", value=0.20)]
    out = loss_share(make_table(rows))
    # B: (0.40 - 0.30) / (0.40 - 0.20) = 0.5 ; A has no Pop of its own: undefined, never B's Pop
    assert cell(out, study="B")["loss_share"] == pytest.approx(0.5)
    assert cell(out, study="A")["reason"] == REASON_NO_REFERENCE
    rows.append(dict(study="A", model="Pop", participation=0.0, metric="ndcg@10", value=0.10))
    # A: (0.30 - 0.25) / (0.30 - 0.10) = 0.25 (B's M(0) or Pop would give other numbers)
    assert cell(loss_share(make_table(rows)), study="A")["loss_share"] == pytest.approx(0.25)
