"""Strike versus boycott accounting from the per-user table."""
import pandas as pd
import pytest

from strikebench.analysis.boycott import MEASURES, boycott_summary, strike_vs_boycott

T975_DF1 = 12.706204736174703


def per_user():
    rows = []
    for seed, participants, hits_p in [(0, {"u1", "u2"}, [1, 0, 1, 0]),
                                       (1, {"u3", "u4"}, [1, 1, 0, 0])]:
        for u, h in zip(["u1", "u2", "u3", "u4"], [1, 1, 1, 0]):  # p = 0: 3 hits of 4
            rows.append(dict(model="MF", participation=0.0, seed=seed, user=u, participant=False, **{"hit@10": h}))
        for u, h in zip(["u1", "u2", "u3", "u4"], hits_p):
            rows.append(dict(model="MF", participation=0.5, seed=seed, user=u, participant=u in participants,
                             **{"hit@10": h}))
    return pd.DataFrame(rows)


def measures(long, seed, perspective, p=0.5):
    sel = long[(long["seed"] == seed) & (long["perspective"] == perspective) & (long["participation"] == p)]
    return sel.set_index("measure")["value"]


def test_system_view_seed0_by_hand():
    m = measures(strike_vs_boycott(per_user()), 0, "system")
    # baseline 1+1+1+0 = 3 ; strike 1+0+1+0 = 2 ; boycott: only u3, u4 remain: 1+0 = 1
    assert (m["baseline"], m["strike"], m["boycott"]) == pytest.approx((3, 2, 1))
    # strike loss 1 = data labor power ; boycott loss 2 ; consumer power 2 - 1 = 1 (participants' hits)
    assert (m["strike_loss"], m["boycott_loss"]) == pytest.approx((1, 2))
    assert (m["data_labor_power"], m["consumer_power"]) == pytest.approx((1, 1))
    assert (m["strike_loss_relative"], m["boycott_loss_relative"]) == pytest.approx((1 / 3, 2 / 3))
    assert (m["data_labor_share"], m["consumer_share"]) == pytest.approx((0.5, 0.5))


def test_users_view_seed0_by_hand():
    m = measures(strike_vs_boycott(per_user()), 0, "users")
    # baseline 3/4 = 0.75 ; strike 2/4 = 0.5 ; boycott: mean over remaining u3, u4 = 1/2 = 0.5
    assert (m["baseline"], m["strike"], m["boycott"]) == pytest.approx((0.75, 0.5, 0.5))
    # strike loss 0.25 ; boycott loss 0.25 ; consumer power 0 ; data labor share 1
    assert (m["strike_loss"], m["boycott_loss"], m["consumer_power"]) == pytest.approx((0.25, 0.25, 0))
    assert (m["data_labor_share"], m["consumer_share"]) == pytest.approx((1.0, 0.0))


def test_no_participants_no_loss():
    m = measures(strike_vs_boycott(per_user()), 0, "system", p=0.0)
    assert (m["strike_loss"], m["boycott_loss"], m["consumer_power"]) == pytest.approx((0, 0, 0))


def test_summary_over_seeds():
    s = boycott_summary(per_user())
    s = s[(s["participation"] == 0.5) & (s["perspective"] == "system")].set_index("measure")
    # seed 1: strike 1+1+0+0 = 2 ; boycott u1 + u2 = 2 -> consumer power 0 ; seeds (1, 0): mean 0.5
    # half = 12.706205 * sd(1, 0) / sqrt(2) = 12.706205 * 0.5 = 6.3531024
    assert s.loc["consumer_power", "mean"] == pytest.approx(0.5)
    assert s.loc["consumer_power", "ci_high"] == pytest.approx(0.5 + T975_DF1 * 0.5)
    assert s.loc["data_labor_power", "mean"] == pytest.approx(1.0)
    assert s.loc["data_labor_power", "ci_low"] == pytest.approx(1.0)  # both seeds 1: zero width
    assert list(s.index) == list(MEASURES)


def test_lower_is_better_metric_refused():
    df = per_user().rename(columns={"hit@10": "rmse"})
    with pytest.raises(ValueError, match="higher-is-better"):
        strike_vs_boycott(df, metric="rmse")
