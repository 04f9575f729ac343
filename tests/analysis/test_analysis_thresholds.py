"""Crossing rule and the participation at which L(p) first reaches 0.25 / 0.5 / 0.75."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strikebench.analysis.crossing import first_crossing
from strikebench.analysis.gap import REASON_GAP
from strikebench.analysis.thresholds import REASON_NEVER, participation_thresholds

T975_DF1 = 12.706204736174703

P = [0.0, 0.1, 0.2, 0.4, 0.6, 0.8]
L_MEAN = [0.0, 0.2, 0.3, 0.6, 0.5, 0.8]  # non-monotone: dips at p = 0.6


def test_first_crossing_interpolates():
    # x = 0.25: first L >= 0.25 is at p = 0.2 (0.3); 0.1 + (0.25 - 0.2) * 0.1 / 0.1 = 0.15
    assert first_crossing(P, L_MEAN, 0.25) == pytest.approx(0.15)
    # x = 0.5: first at p = 0.4 (0.6); 0.2 + (0.5 - 0.3) * 0.2 / 0.3 = 0.333333
    assert first_crossing(P, L_MEAN, 0.5) == pytest.approx(0.2 + 0.2 * 0.2 / 0.3)
    # x = 0.75: first at p = 0.8 (0.8); 0.6 + (0.75 - 0.5) * 0.2 / 0.3 = 0.766667
    assert first_crossing(P, L_MEAN, 0.75) == pytest.approx(0.6 + 0.25 * 0.2 / 0.3)


def test_smallest_exceeding_rule():
    # the smallest measured p with L > x, no interpolation: 0.25 -> 0.2 (0.3) ; 0.3 -> 0.4 (0.6, strictly
    # above 0.3) ; 0.8 -> never (0.8 is not > 0.8)
    assert first_crossing(P, L_MEAN, 0.25, rule="smallest_exceeding") == pytest.approx(0.2)
    assert first_crossing(P, L_MEAN, 0.3, rule="smallest_exceeding") == pytest.approx(0.4)
    assert math.isnan(first_crossing(P, L_MEAN, 0.8, rule="smallest_exceeding"))
    assert first_crossing(P, L_MEAN, 0.25, "down", rule="smallest_exceeding") == 0.0  # 0.0 < 0.25
    with pytest.raises(ValueError, match="rule"):
        first_crossing(P, L_MEAN, 0.25, rule="nearest")


def test_first_crossing_non_monotone_takes_the_first():
    # x = 0.55 is crossed twice: 0.2 + 0.25 * 0.2 / 0.3 = 0.366667 (first), and 0.633 (later)
    assert first_crossing(P, L_MEAN, 0.55) == pytest.approx(0.2 + 0.25 * 0.2 / 0.3)


def test_first_crossing_edge_cases():
    assert math.isnan(first_crossing(P, L_MEAN, 0.9))            # never reached
    assert first_crossing(P, L_MEAN, 0.0) == 0.0                 # reached at the first point
    assert first_crossing(P, L_MEAN, 0.3) == pytest.approx(0.2)  # exactly on a point
    # unsorted input and NaN points: NaN at p = 0.2 is dropped, so 0.1 (0.2) -> 0.4 (0.6):
    # 0.1 + (0.25 - 0.2) * 0.3 / 0.4 = 0.1375
    assert first_crossing([0.4, 0.0, 0.2, 0.1], [0.6, 0.0, np.nan, 0.2], 0.25) == pytest.approx(0.1375)
    assert math.isnan(first_crossing([], [], 0.5))
    # falling curve: first p with y <= 0.35 on 0.40, 0.36, 0.30: 0.2 + (0.35-0.36)*0.2/(0.30-0.36)
    assert first_crossing([0, 0.2, 0.4], [0.40, 0.36, 0.30], 0.35, "down") == pytest.approx(0.2 + 0.2 / 6)
    with pytest.raises(ValueError):
        first_crossing(P, L_MEAN, 0.5, direction="sideways")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=2, max_size=8), st.floats(0.01, 0.99))
def test_crossing_lies_in_its_bracket(values, level):
    ps = np.linspace(0, 1, len(values))
    p = first_crossing(ps, values, level)
    reached = [i for i, v in enumerate(values) if v >= level]
    if not reached:
        assert math.isnan(p)
    else:
        i = reached[0]
        assert ps[max(i - 1, 0)] - 1e-12 <= p <= ps[i] + 1e-12


def curve_rows(offsets=(-0.04, 0.04)):
    # M0 = 1, Pop = 0 (gap 1) so that L_s(p) = 1 - M_s(p); seed s adds offset to L at p > 0:
    # seed 0: L = 0, 0.16, 0.26, 0.56, 0.46, 0.76 ; seed 1: 0, 0.24, 0.34, 0.64, 0.54, 0.84
    rows = []
    for seed, off in enumerate(offsets):
        for p, l in zip(P, L_MEAN):
            loss = l + (off if p > 0 else 0.0)
            rows.append(dict(model="MF", participation=p, seed=seed, metric="ndcg@10", value=1.0 - loss))
        rows.append(dict(model="Pop", participation=0.0, seed=seed, metric="ndcg@10", value=0.0))
    return rows


def get(out, level, model="MF"):
    row = out[(out["model"] == model) & np.isclose(out["level"], level)]
    assert len(row) == 1
    return row.iloc[0]


def test_thresholds_mean_curve_and_t_ci(make_table):
    out = participation_thresholds(make_table(curve_rows()))
    r25 = get(out, 0.25)
    assert r25["participation"] == pytest.approx(0.15)
    # per seed: 0.1 + (0.25-0.16)*0.1/0.1 = 0.19 ; 0.1 + (0.25-0.24)*0.1/0.1 = 0.11
    # sd/sqrt(2) = 0.08/2 = 0.04 ; half = 12.706205 * 0.04 = 0.5082482, centred on 0.15:
    # [-0.358, 0.658], clipped to participation's range [0, 1]
    assert r25["n_seeds"] == 2 and r25["n_seeds_never"] == 0
    assert r25["ci_low"] == 0.0
    assert r25["ci_high"] == pytest.approx(0.15 + 0.5082482, abs=1e-6)
    assert r25["method"] == "t over seeds"
    assert get(out, 0.5)["participation"] == pytest.approx(0.2 + 0.2 * 0.2 / 0.3)
    assert get(out, 0.75)["participation"] == pytest.approx(0.6 + 0.25 * 0.2 / 0.3)
    assert (out[out["model"] == "MF"]["reason"] == "").all()


def test_thresholds_percentile_ci(make_table):
    out = participation_thresholds(make_table(curve_rows()), ci="percentile")
    r25 = get(out, 0.25)
    # quantiles of (0.11, 0.19): 0.11 + 0.025 * 0.08 = 0.112 ; 0.11 + 0.975 * 0.08 = 0.188
    assert (r25["ci_low"], r25["ci_high"]) == pytest.approx((0.112, 0.188))
    assert r25["method"] == "percentile over seeds"


def test_threshold_never_reached_and_seed_counts(make_table):
    out = participation_thresholds(make_table(curve_rows()), levels=[0.82, 0.9])
    r = get(out, 0.82)
    # mean curve tops out at 0.8 -> NaN ; seed 1 reaches 0.84 at p = 0.8:
    # 0.6 + (0.82 - 0.54) * 0.2 / 0.30 = 0.786667 ; seed 0 (max 0.76) never -> counted, left out
    assert math.isnan(r["participation"]) and r["reason"] == REASON_NEVER
    assert r["n_seeds"] == 1 and r["n_seeds_never"] == 1 and math.isnan(r["ci_low"])
    r = get(out, 0.9)
    assert r["n_seeds"] == 0 and r["n_seeds_never"] == 2


def test_threshold_single_seed(make_table):
    rows = [r for r in curve_rows(offsets=(0.0,))]
    r = get(participation_thresholds(make_table(rows)), 0.5)
    assert r["participation"] == pytest.approx(0.2 + 0.2 * 0.2 / 0.3)
    assert r["n_seeds"] == 1 and math.isnan(r["ci_low"]) and math.isnan(r["ci_high"])


def test_threshold_undefined_curve_carries_reason(make_table):
    rows = [dict(model="MF", participation=0.0, metric="ndcg@10", value=0.1),
            dict(model="MF", participation=0.5, metric="ndcg@10", value=0.0),
            dict(model="Pop", participation=0.0, metric="ndcg@10", value=0.2)]
    out = participation_thresholds(make_table(rows))
    assert out[out["model"] == "MF"]["reason"].eq(REASON_GAP).all()
    assert out[out["model"] == "Pop"]["reason"].eq("reference model").all()
    assert out["participation"].isna().all()
