"""Back in time: the participation at which a model falls to an older algorithm's full-data level."""
import math

import pytest

from strikebench.analysis.back_in_time import (
    REASON_NEVER, REASON_NO_REFERENCE, REASON_SELF, back_in_time, reference_levels,
)

T975_DF1 = 12.706204736174703


def rows(metric="ndcg@10", curve=(0.40, 0.36, 0.30, 0.20), knn=0.35, pop=0.10, seed=0):
    out = [dict(model="MF", participation=p, seed=seed, metric=metric, value=v)
           for p, v in zip((0.0, 0.2, 0.4, 0.6), curve)]
    out += [dict(model="ItemKNN", participation=0.0, seed=seed, metric=metric, value=knn),
            dict(model="ItemKNN", participation=0.5, seed=seed, metric=metric, value=knn - 0.1),
            dict(model="Pop", participation=0.0, seed=seed, metric=metric, value=pop)]
    return out


def get(out, model, ref):
    r = out[(out["model"] == model) & (out["reference_model"] == ref)]
    assert len(r) == 1
    return r.iloc[0]


def test_back_in_time_by_hand(make_table):
    out = back_in_time(make_table(rows()), {"ItemKNN": 1999, "Pop": 1990})
    knn = get(out, "MF", "ItemKNN")
    # first p with M <= 0.35 is 0.4 (0.30); from 0.2 (0.36): 0.2 + (0.35 - 0.36) * 0.2 / (0.30 - 0.36)
    assert knn["participation"] == pytest.approx(0.2 + 0.01 * 0.2 / 0.06)
    assert knn["year"] == 1999 and knn["reference_value"] == pytest.approx(0.35)
    assert knn["reason"] == "" and math.isnan(knn["ci_low"])  # one seed: no CI
    pop = get(out, "MF", "Pop")
    assert math.isnan(pop["participation"]) and pop["reason"] == REASON_NEVER  # never falls to 0.10
    # ItemKNN against itself is not a measure; against Pop it never falls to 0.10 (0.35 -> 0.25)
    assert get(out, "ItemKNN", "ItemKNN")["reason"] == REASON_SELF
    assert math.isnan(get(out, "ItemKNN", "ItemKNN")["participation"])
    assert get(out, "ItemKNN", "Pop")["reason"] == REASON_NEVER


def test_back_in_time_already_below_at_full_data(make_table):
    out = back_in_time(make_table(rows(knn=0.45)), {"ItemKNN": 1999})
    assert get(out, "MF", "ItemKNN")["participation"] == 0.0  # MF(0) = 0.40 <= 0.45


def test_back_in_time_missing_reference(make_table):
    out = back_in_time(make_table(rows()), {"SVD": 2008})
    r = get(out, "MF", "SVD")
    assert r["reason"] == REASON_NO_REFERENCE and math.isnan(r["participation"])


def test_back_in_time_lower_is_better(make_table):
    t = make_table(rows(metric="rmse", curve=(0.90, 0.92, 0.96, 1.00), knn=0.95, pop=1.05))
    out = back_in_time(t, {"ItemKNN": 1999, "Pop": 1990})
    # rmse rises to 0.95: first p with M >= 0.95 is 0.4 (0.96); 0.2 + (0.95-0.92)*0.2/(0.96-0.92) = 0.35
    assert get(out, "MF", "ItemKNN")["participation"] == pytest.approx(0.35)
    assert math.isnan(get(out, "MF", "Pop")["participation"])


def test_back_in_time_ci_from_seeds(make_table):
    # seed 0 curve 0.40, 0.36, 0.30, 0.20 ; seed 1 curve 0.40, 0.38, 0.32, 0.20 ; ItemKNN 0.35 both
    t = make_table(rows() + rows(curve=(0.40, 0.38, 0.32, 0.20), seed=1))
    r = get(back_in_time(t, {"ItemKNN": 1999}), "MF", "ItemKNN")
    # mean curve 0.40, 0.37, 0.31, 0.20: 0.2 + (0.35-0.37)*0.2/(0.31-0.37) = 0.266667
    # seed 0: 0.233333 ; seed 1: 0.2 + (0.35-0.38)*0.2/(0.32-0.38) = 0.3
    # half = 12.706205 * |0.3 - 0.233333| / 2 = 0.4235402
    assert r["participation"] == pytest.approx(0.2 + 0.02 * 0.2 / 0.06)
    assert r["n_seeds"] == 2
    assert r["ci_high"] - r["participation"] == pytest.approx(T975_DF1 * (0.3 - 0.7 / 3) / 2, abs=1e-6)


def test_reference_levels_mean_over_seeds(make_table):
    t = make_table(rows() + rows(knn=0.37, seed=1))
    lv = reference_levels(t, ["ItemKNN"])
    assert lv["reference_value"].iloc[0] == pytest.approx(0.36)
