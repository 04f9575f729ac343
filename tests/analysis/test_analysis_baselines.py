"""Same-user baselines: every group is compared with exactly its own users at p = 0."""
import math

import numpy as np
import pandas as pd
import pytest

from strikebench.analysis import (
    LossShareOptions, back_in_time, group_baselines, loss_share, paired_differences, participation_thresholds,
    with_group_baselines,
)
from strikebench.analysis.baselines import REASON_NO_SAME_USERS
from strikebench.analysis.table import ResultsTableError

# per-user ndcg@10, one seed. Participants: u1 at p = 0.25 (nested:) u1, u2 at p = 0.5. Pop runs at p = 0 only.
#            p = 0   p = 0.25   p = 0.5   Pop p = 0
H = {"u1": (0.8,    0.5,       0.2,      0.3),
     "u2": (0.6,    0.6,       0.2,      0.3),
     "u3": (0.4,    0.4,       0.4,      0.1),
     "u4": (0.2,    0.2,       0.2,      0.1)}
PARTICIPANTS = {0.0: set(), 0.25: {"u1"}, 0.5: {"u1", "u2"}}


def per_user(seed=0):
    rows = []
    for user, (h0, h25, h50, pop) in H.items():
        for p, h in ((0.0, h0), (0.25, h25), (0.5, h50)):
            rows.append(dict(model="MF", participation=p, seed=seed, user=user,
                             participant=user in PARTICIPANTS[p], **{"ndcg@10": h}))
        rows.append(dict(model="Pop", participation=0.0, seed=seed, user=user, participant=False,
                         **{"ndcg@10": pop}))
    return pd.DataFrame(rows)


def results(seed=0):
    """The results table of the same cells: each group's mean at its p (worked from H by hand)."""
    nan = float("nan")
    cells = [  # model, p, all, participants, non-participants
        ("MF", 0.0, 0.5, nan, 0.5),
        ("MF", 0.25, 0.425, 0.5, 0.4),     # (0.5+0.6+0.4+0.2)/4 ; u1 ; (0.6+0.4+0.2)/3
        ("MF", 0.5, 0.25, 0.2, 0.3),       # (0.2+0.2+0.4+0.2)/4 ; (0.2+0.2)/2 ; (0.4+0.2)/2
        ("Pop", 0.0, 0.2, nan, 0.2),
    ]
    return pd.DataFrame([dict(model=m, participation=p, seed=seed, group=g, metric="ndcg@10", value=v)
                         for m, p, *values in cells
                         for g, v in zip(("all", "participants", "non_participants"), values)])


def at(frame, p, group, model="MF", **keys):
    sel = (frame["model"] == model) & np.isclose(frame["participation"], p) & (frame["group"] == group)
    for k, v in keys.items():
        sel &= frame[k] == v
    assert sel.sum() == 1, frame[sel]
    return frame[sel].iloc[0]


def test_group_baselines_by_hand():
    b = group_baselines(per_user())
    # participants at p = 0.5 are u1, u2: MF at p = 0 (0.8 + 0.6) / 2 = 0.7 ; Pop (0.3 + 0.3) / 2 = 0.3
    assert at(b, 0.5, "participants")["value"] == pytest.approx(0.7)
    assert at(b, 0.5, "participants", model="Pop")["value"] == pytest.approx(0.3)
    assert at(b, 0.5, "participants")["n_users"] == 2
    # non-participants at 0.5 are u3, u4: MF (0.4 + 0.2) / 2 = 0.3 ; Pop 0.1
    assert at(b, 0.5, "non_participants")["value"] == pytest.approx(0.3)
    assert at(b, 0.5, "non_participants", model="Pop")["value"] == pytest.approx(0.1)
    # at p = 0.25 the non-participants are u2, u3, u4: MF (0.6 + 0.4 + 0.2) / 3 = 0.4 ; Pop 0.5 / 3
    assert at(b, 0.25, "non_participants")["value"] == pytest.approx(0.4)
    assert at(b, 0.25, "non_participants", model="Pop")["value"] == pytest.approx(0.5 / 3)
    # all users: MF 0.5, Pop 0.2 at every p
    assert at(b, 0.5, "all")["value"] == pytest.approx(0.5)


def test_the_same_users_not_everyone():
    """The issue's two examples, qualitatively: a change measured against the same users differs
    from one measured against all users at p = 0."""
    t = with_group_baselines(results(), per_user())
    assert at(t, 0.5, "participants")["p0:MF"] == pytest.approx(0.7)
    d = paired_differences(t)
    # non-participants at 0.5, same users: 0.3 - 0.3 = 0 ; against all users at p = 0 (the old
    # method) it was 0.3 - 0.5 = -0.2: a loss that is only the difference between two user sets
    assert at(d, 0.5, "non_participants")["difference"] == pytest.approx(0.0)
    # participants: 0.2 - 0.7 = -0.5 (against everyone: 0.2 - 0.5 = -0.3)
    assert at(d, 0.5, "participants")["difference"] == pytest.approx(-0.5)
    assert at(d, 0.5, "all")["difference"] == pytest.approx(0.25 - 0.5)
    ls = loss_share(t)
    # participants' loss share: (0.7 - 0.2) / (0.7 - 0.3) = 1.25 ; against everyone it was
    # (0.5 - 0.2) / (0.5 - 0.2) = 1.0
    assert at(ls, 0.5, "participants")["loss_share"] == pytest.approx(1.25)
    assert at(ls, 0.5, "participants")["full_value"] == pytest.approx(0.7)
    assert at(ls, 0.5, "participants")["reference_value"] == pytest.approx(0.3)
    # non-participants: (0.3 - 0.3) / (0.3 - 0.1) = 0 (against everyone: (0.5 - 0.3) / 0.3 = 0.667)
    assert at(ls, 0.5, "non_participants")["loss_share"] == pytest.approx(0.0)
    # at p = 0.25: participants (0.8 - 0.5) / (0.8 - 0.3) = 0.6 ; all users (0.5 - 0.425) / 0.3 = 0.25
    assert at(ls, 0.25, "participants")["loss_share"] == pytest.approx(0.6)
    assert at(ls, 0.25, "all")["loss_share"] == pytest.approx(0.25)


def test_without_the_per_user_table_groups_are_undefined():
    t = results()
    d = paired_differences(t)
    assert math.isnan(at(d, 0.5, "non_participants")["difference"])  # never against other users
    assert at(d, 0.5, "all")["difference"] == pytest.approx(-0.25)  # all users: the same users at p = 0
    ls = loss_share(t)
    assert at(ls, 0.5, "non_participants")["reason"] == REASON_NO_SAME_USERS
    assert at(ls, 0.5, "all")["loss_share"] == pytest.approx(0.25 / 0.3)
    bit = back_in_time(t, {"Pop": 1990})
    row = bit[(bit["model"] == "MF") & (bit["group"] == "participants")].iloc[0]
    assert row["reason"] == REASON_NO_SAME_USERS and math.isnan(row["participation"])


def test_thresholds_and_back_in_time_use_the_same_users():
    t = with_group_baselines(results(), per_user())
    th = participation_thresholds(t, levels=[0.75])
    row = th[(th["model"] == "MF") & (th["group"] == "participants")].iloc[0]
    # L = 0.6 at 0.25, 1.25 at 0.5: 0.25 + (0.75 - 0.6) * 0.25 / 0.65 = 0.3076923
    assert row["participation"] == pytest.approx(0.25 + 0.15 * 0.25 / 0.65)
    bit = back_in_time(t, {"Pop": 1990})
    row = bit[(bit["model"] == "MF") & (bit["group"] == "participants")].iloc[0]
    # y = M - R_Pop(same users): 0.5 - 0.3 = 0.2 at 0.25 ; 0.2 - 0.3 = -0.1 at 0.5
    # 0.25 - 0.2 * 0.25 / (-0.1 - 0.2) = 0.4166667
    assert row["participation"] == pytest.approx(0.25 + 0.2 * 0.25 / 0.3)
    assert row["reason"] == ""


def test_reference_run_once_uses_its_mean_over_seeds():
    # MF has seeds 0 and 1 (seed 1 a copy of seed 0 with MF 0.1 higher everywhere); Pop only seed 0
    second = per_user(seed=1)
    second = second[second["model"] == "MF"].assign(**{"ndcg@10": lambda f: f["ndcg@10"] + 0.1})
    b = group_baselines(pd.concat([per_user(), second]))
    # Pop for seed 1's participants at 0.5 (u1, u2): Pop's per-user mean over seeds = seed 0's = 0.3
    assert at(b, 0.5, "participants", model="Pop", seed=1)["value"] == pytest.approx(0.3)
    assert at(b, 0.5, "participants", seed=1)["value"] == pytest.approx(0.8)  # (0.9 + 0.7) / 2


def test_participants_disagreeing_between_models_is_an_error():
    pu = per_user()
    pop_at_p = pu[(pu["model"] == "MF") & (pu["participation"] == 0.5)].assign(model="Pop", participant=False)
    with pytest.raises(ResultsTableError, match="participant for one model and not for another"):
        group_baselines(pd.concat([pu, pop_at_p]))


def test_with_group_baselines_needs_a_shared_metric():
    with pytest.raises(ResultsTableError, match="none of the table's metrics"):
        with_group_baselines(results().assign(metric="hit@10"), per_user())
    # the reference model is configurable: a table without Pop's column leaves the reference undefined
    t = with_group_baselines(results(), per_user()).drop(columns="p0:Pop")
    out = loss_share(t, LossShareOptions())
    assert at(out, 0.5, "participants")["reason"] == "no reference model on full data"
