"""Data Leverage Power for CDC, CDC + strike and strike, and the participation it needs."""
import math

import numpy as np
import pytest

from strikebench.analysis.dlp import (
    REASON_INCUMBENT, REASON_NEVER, REASON_P, REASON_SCALE, DLPOptions, data_leverage_power, dlp_per_seed,
    participation_for_dlp,
)
from strikebench.analysis.table import ResultsTableError

T975_DF1 = 12.706204736174703


def r(lever, company, p, value, model="MF", metric="ndcg@10", view="holdout", seed=0):
    return dict(model=model, lever=lever, company=company, participation=p, value=value,
                metric=metric, view=view, seed=seed)


def rows():
    # best B = incumbent MF on full data = 0.40 ; worst W = incumbent Pop on full data = 0.10
    return [
        r("strike", "incumbent", 0.0, 0.40),
        r("strike", "incumbent", 0.0, 0.10, model="Pop"),
        # strike only: I(0.2) = 0.34, I(0.4) = 0.28
        r("strike", "incumbent", 0.2, 0.34), r("strike", "incumbent", 0.4, 0.28),
        # CDC: competitor 0.10, 0.22, 0.325 at p = 0, 0.2, 0.4 (the incumbent is not used)
        r("transfer", "competitor", 0.0, 0.10), r("transfer", "competitor", 0.2, 0.22),
        r("transfer", "competitor", 0.4, 0.325), r("transfer", "incumbent", 0.2, 0.39),
        # CDC + strike: competitor 0.22 / incumbent 0.34 at 0.2 ; 0.31 / 0.28 at 0.4 ; p = 0.6 too many
        r("transfer+strike", "competitor", 0.2, 0.22), r("transfer+strike", "incumbent", 0.2, 0.34),
        r("transfer+strike", "competitor", 0.4, 0.31), r("transfer+strike", "incumbent", 0.4, 0.28),
        r("transfer+strike", "competitor", 0.6, 0.35), r("transfer+strike", "incumbent", 0.6, 0.20),
        # company view: B = 0.40, W = 0.10, competitor 0.10 -> 0.28 -> 0.40 on its own users
        r("strike", "incumbent", 0.0, 0.40, view="company"),
        r("strike", "incumbent", 0.0, 0.10, model="Pop", view="company"),
        r("transfer", "competitor", 0.0, 0.10, view="company"),
        r("transfer", "competitor", 0.2, 0.28, view="company"),
        r("transfer", "competitor", 0.4, 0.40, view="company"),
    ]


def get(out, lever, p, model="MF", view="holdout"):
    sel = out[(out["lever"] == lever) & np.isclose(out["participation"], p) & (out["model"] == model)
              & (out["view"] == view)]
    assert len(sel) == 1
    return sel.iloc[0]


def test_each_variant_by_hand(make_table):
    out = data_leverage_power(make_table(rows()))
    # CDC: (C - W) / (B - W): (0.22 - 0.10) / 0.30 = 0.4 ; (0.325 - 0.10) / 0.30 = 0.75
    assert get(out, "transfer", 0.2)["dlp"] == pytest.approx(0.4)
    assert get(out, "transfer", 0.4)["dlp"] == pytest.approx(0.75)
    assert get(out, "transfer", 0.2)["variant"] == "transfer"
    # CDC + strike: (C - W) / (I - W): 0.12 / 0.24 = 0.5 ; 0.21 / 0.18 = 1.1666667
    assert get(out, "transfer+strike", 0.2)["dlp"] == pytest.approx(0.5)
    assert get(out, "transfer+strike", 0.4)["dlp"] == pytest.approx(0.21 / 0.18)
    # ... only for p <= 0.5
    too_many = get(out, "transfer+strike", 0.6)
    assert math.isnan(too_many["dlp"]) and too_many["reason"] == REASON_P
    # strike: 1 - (I - W) / (B - W): 1 - 0.24 / 0.30 = 0.2 ; 1 - 0.18 / 0.30 = 0.4 ; p = 0 -> 0
    assert get(out, "strike", 0.2)["dlp"] == pytest.approx(0.2)
    assert get(out, "strike", 0.4)["dlp"] == pytest.approx(0.4)
    assert get(out, "strike", 0.0)["dlp"] == pytest.approx(0.0)
    row = get(out, "strike", 0.2)
    assert (row["best"], row["worst"]) == pytest.approx((0.40, 0.10))
    assert math.isnan(row["ci_low"]) and row["n_seeds"] == 1  # one seed: no CI
    # Pop is its own worst: B - W = 0 -> undefined
    assert get(out, "strike", 0.0, model="Pop")["reason"] == REASON_SCALE


def test_lower_is_better_metric(make_table):
    rows_ = [
        r("strike", "incumbent", 0.0, 0.90, metric="rmse"),
        r("strike", "incumbent", 0.0, 1.10, metric="rmse", model="Pop"),
        r("strike", "incumbent", 0.2, 0.95, metric="rmse"),
        r("transfer", "competitor", 0.2, 1.00, metric="rmse"),
        r("transfer+strike", "competitor", 0.2, 1.00, metric="rmse"),
        r("transfer+strike", "incumbent", 0.2, 0.95, metric="rmse"),
    ]
    out = data_leverage_power(make_table(rows_), DLPOptions(worst="reference", best="full_data"))
    # W = Pop 1.10, B = MF on full data 0.90: strike 1 - (0.95 - 1.10) / (0.90 - 1.10) = 1 - 0.75 = 0.25
    assert get(out, "strike", 0.2)["dlp"] == pytest.approx(0.25)
    # CDC: (1.00 - 1.10) / (0.90 - 1.10) = 0.5 ; CDC + strike: (1.00 - 1.10) / (0.95 - 1.10) = 0.666667
    assert get(out, "transfer", 0.2)["dlp"] == pytest.approx(0.5)
    assert get(out, "transfer+strike", 0.2)["dlp"] == pytest.approx(0.1 / 0.15)
    # default: observed in the study; for rmse the worst is MF's *largest* value 1.00 (competitor),
    # the best its smallest 0.90: strike 1 - (0.95 - 1.00) / (0.90 - 1.00) = 0.5
    out = data_leverage_power(make_table(rows_))
    assert (get(out, "strike", 0.2)["worst"], get(out, "strike", 0.2)["best"]) == pytest.approx((1.00, 0.90))
    assert get(out, "strike", 0.2)["dlp"] == pytest.approx(0.5)
    # CDC + strike with an incumbent no better than worst is undefined: (I - W) mirrored = -(0.95 - 0.94)
    out = data_leverage_power(make_table(rows_), DLPOptions(worst=0.94))
    assert get(out, "transfer+strike", 0.2)["reason"] == REASON_INCUMBENT
    assert get(out, "transfer", 0.2)["reason"] == ""
    # and a best not better than worst: mirrored -(0.90 - 0.85) < 0
    out = data_leverage_power(make_table(rows_), DLPOptions(worst=0.85))
    assert get(out, "transfer", 0.2)["reason"] == REASON_SCALE


def test_worst_observed_and_explicit(make_table):
    t = make_table(rows())
    out = data_leverage_power(t)
    # lowest MF value in the holdout view: the competitor at p = 0, 0.10 -> same as Pop here
    assert get(out, "strike", 0.4)["worst"] == pytest.approx(0.10)
    t2 = make_table([x for x in rows() if not (x["lever"] == "transfer" and x["participation"] == 0.0)])
    out = data_leverage_power(t2, DLPOptions(worst="observed"))
    # now the lowest MF value is the incumbent of transfer+strike at p = 0.6 (0.20), any DLP lever counts:
    # strike 1 - (0.28 - 0.20) / (0.40 - 0.20) = 0.6
    assert get(out, "strike", 0.4)["worst"] == pytest.approx(0.20)
    assert get(out, "strike", 0.4)["dlp"] == pytest.approx(0.6)
    # explicit numbers: (0.22 - 0.0) / (0.5 - 0.0) = 0.44 ; per metric mapping too
    assert get(data_leverage_power(t, DLPOptions(worst=0.0, best=0.5)), "transfer", 0.2)["dlp"] == pytest.approx(0.44)
    out = data_leverage_power(t, DLPOptions(worst={"ndcg@10": 0.0}, best={"ndcg@10": 0.5}))
    assert get(out, "transfer", 0.2)["dlp"] == pytest.approx(0.44)
    with pytest.raises(ResultsTableError, match="metric"):
        data_leverage_power(t, DLPOptions(worst={"hit@10": 0.0}))
    with pytest.raises(ValueError):
        data_leverage_power(t, DLPOptions(worst="lowest"))


def test_dlp_ci_from_seeds(make_table):
    rows_ = []
    for seed, best, comp in [(0, 0.40, 0.22), (1, 0.43, 0.25)]:
        rows_ += [r("strike", "incumbent", 0.0, best, seed=seed),
                  r("strike", "incumbent", 0.0, 0.10, model="Pop", seed=seed),
                  r("transfer", "competitor", 0.2, comp, seed=seed)]
    out = data_leverage_power(make_table(rows_), DLPOptions(worst="reference", best="full_data"))
    row = get(out, "transfer", 0.2)
    # point: (0.235 - 0.10) / (0.415 - 0.10) = 0.135 / 0.315 = 0.4285714
    assert row["dlp"] == pytest.approx(0.135 / 0.315)
    # per seed, with the same seed's B: 0.12 / 0.30 = 0.4 ; 0.15 / 0.33 = 0.4545455 ; half = 12.706205 * 0.0545455 / 2
    assert row["ci_high"] - row["dlp"] == pytest.approx(T975_DF1 * (0.15 / 0.33 - 0.4) / 2, abs=1e-6)
    assert row["method"] == "t over seeds"
    ps = dlp_per_seed(make_table(rows_), DLPOptions(worst="reference", best="full_data"))
    ps = ps[(ps["lever"] == "transfer")].sort_values("seed")
    assert ps["dlp"].tolist() == pytest.approx([0.4, 0.15 / 0.33])
    # observed scale: W = 0.22 (competitor, seed 0), B = 0.43 (incumbent, seed 1), constant over seeds
    row = get(data_leverage_power(make_table(rows_)), "transfer", 0.2)
    # point (0.235 - 0.22) / 0.21 = 0.0714286 ; per seed 0 and 0.03 / 0.21 = 0.1428571
    # half = 12.706205 * 0.1428571 / 2 = 0.9075861: [-0.836, 0.979], clipped to DLP's range [0, 1]
    assert row["dlp"] == pytest.approx(0.015 / 0.21)
    assert row["ci_low"] == 0.0
    assert row["ci_high"] == pytest.approx(0.015 / 0.21 + T975_DF1 * (0.03 / 0.21) / 2, abs=1e-6)


def test_participation_for_dlp_smallest_exceeding(make_table):
    out = participation_for_dlp(make_table(rows()))
    tr = out[(out["lever"] == "transfer") & (out["model"] == "MF")]
    assert (tr["rule"] == "smallest_exceeding").all()
    hold = tr[tr["view"] == "holdout"].set_index("level")["participation"]
    # holdout DLP 0, 0.4, 0.75 at p = 0, 0.2, 0.4: the smallest p with DLP > d
    assert hold.loc[[0.5, 0.6, 0.7]].tolist() == pytest.approx([0.4, 0.4, 0.4])
    assert math.isnan(hold.loc[0.8]) and math.isnan(hold.loc[0.9])
    comp = tr[tr["view"] == "company"].set_index("level")["participation"]
    # company view DLP 0, 0.6, 1.0: 0.5 -> 0.2 ; 0.9 -> 0.4
    assert (comp.loc[0.5], comp.loc[0.9]) == pytest.approx((0.2, 0.4))
    # CDC + strike DLP 0.5 at 0.2 does not *exceed* 0.5: the first is 0.4 (1.1667)
    ts = out[(out["lever"] == "transfer+strike") & (out["model"] == "MF")].set_index("level")
    assert ts.loc[0.5, "participation"] == pytest.approx(0.4)


def test_participation_for_dlp_interpolated(make_table):
    out = participation_for_dlp(make_table(rows()), options=DLPOptions(achieves_at="interpolated"))
    tr = out[(out["lever"] == "transfer") & (out["model"] == "MF")]
    hold = tr[tr["view"] == "holdout"].set_index("level")["participation"]
    # holdout DLP curve 0, 0.4, 0.75 at p = 0, 0.2, 0.4: level d -> 0.2 + (d - 0.4) * 0.2 / 0.35
    assert hold.loc[0.5] == pytest.approx(0.2 + 0.1 * 0.2 / 0.35)
    assert hold.loc[0.6] == pytest.approx(0.2 + 0.2 * 0.2 / 0.35)
    assert hold.loc[0.7] == pytest.approx(0.2 + 0.3 * 0.2 / 0.35)
    assert math.isnan(hold.loc[0.8]) and math.isnan(hold.loc[0.9])
    assert (tr[tr["view"] == "holdout"].set_index("level").loc[0.9, "reason"]) == REASON_NEVER
    comp = tr[tr["view"] == "company"].set_index("level")["participation"]
    # company DLP curve 0, 0.6, 1.0: 0.5 -> 0.5 * 0.2 / 0.6 = 0.166667 ; 0.9 -> 0.2 + 0.3 * 0.2 / 0.4 = 0.35
    assert comp.loc[0.5] == pytest.approx(0.5 * 0.2 / 0.6)
    assert comp.loc[0.9] == pytest.approx(0.35)
    # CDC + strike only up to p = 0.5: DLP 0.5 at 0.2 already reaches 0.5
    ts = out[(out["lever"] == "transfer+strike") & (out["model"] == "MF")].set_index("level")
    assert ts.loc[0.5, "participation"] == pytest.approx(0.2)
    # one view only
    only = participation_for_dlp(make_table(rows()), views=["company"])
    assert set(only["view"]) == {"company"}
    with pytest.raises(ValueError, match="achieves_at"):
        participation_for_dlp(make_table(rows()), options=DLPOptions(achieves_at="nearest"))


def test_strikebench_lever_labels_need_no_options(make_table):
    # strikebench writes a lever with its settings; the variant is the name before them
    names = {"transfer": "transfer(base_share=0.0)", "transfer+strike": "transfer+strike(base_share=0.0)"}
    labelled = [dict(x, lever=names.get(x["lever"], x["lever"])) for x in rows()]
    out = data_leverage_power(make_table(labelled))
    row = get(out, "transfer(base_share=0.0)", 0.2)
    assert row["variant"] == "transfer" and row["dlp"] == pytest.approx(0.4)  # as for "transfer"
    assert get(out, "transfer+strike(base_share=0.0)", 0.2)["dlp"] == pytest.approx(0.5)
    cdc = [dict(x, lever="cdc_strike(base_share=0.0)") for x in rows() if x["lever"] == "strike"]
    assert get(data_leverage_power(make_table(cdc)), "cdc_strike(base_share=0.0)", 0.4)["variant"] == "strike"
    assert len(participation_for_dlp(make_table(labelled))) > 0


def test_small_denominator_is_undefined_not_wild(make_table):
    # W = Pop 0.10 on full data (the old default) and an incumbent at 0.1012 under CDC + strike:
    # (C - W) / (I - W) = (0.125 - 0.10) / 0.0012 = 20.8, a wild number. 0.0012 < 1% of max(|B|, |W|)
    # = 0.004 -> NaN with the reason.
    rows_ = [r("strike", "incumbent", 0.0, 0.40), r("strike", "incumbent", 0.0, 0.10, model="Pop"),
             r("transfer+strike", "competitor", 0.4, 0.125), r("transfer+strike", "incumbent", 0.4, 0.1012)]
    out = data_leverage_power(make_table(rows_), DLPOptions(worst="reference"))
    row = get(out, "transfer+strike", 0.4)
    assert math.isnan(row["dlp"]) and row["reason"] == REASON_INCUMBENT
    # a looser tolerance lets it through: 0.025 / 0.0012
    out = data_leverage_power(make_table(rows_), DLPOptions(worst="reference", min_denominator=0.001))
    assert get(out, "transfer+strike", 0.4)["dlp"] == pytest.approx(0.025 / 0.0012)
    # observed scale: W = 0.1012 (the struck incumbent), I - W = 0 -> undefined too
    assert get(data_leverage_power(make_table(rows_)), "transfer+strike", 0.4)["reason"] == REASON_INCUMBENT


def test_observed_worst_never_gives_negative_dlp(make_table):
    # a competitor below Pop: with W = Pop the CDC DLP is negative, (0.05 - 0.10) / 0.30 = -0.1667;
    # the observed worst is that competitor (0.05): (0.05 - 0.05) / (0.40 - 0.05) = 0
    rows_ = [r("strike", "incumbent", 0.0, 0.40), r("strike", "incumbent", 0.0, 0.10, model="Pop"),
             r("transfer", "competitor", 0.1, 0.05), r("transfer", "competitor", 0.3, 0.19)]
    assert get(data_leverage_power(make_table(rows_), DLPOptions(worst="reference")), "transfer", 0.1)["dlp"] \
        == pytest.approx(-0.05 / 0.30)
    out = data_leverage_power(make_table(rows_))
    assert get(out, "transfer", 0.1)["dlp"] == pytest.approx(0.0)
    # 0.3: (0.19 - 0.05) / 0.35 = 0.4
    assert get(out, "transfer", 0.3)["dlp"] == pytest.approx(0.4)
