"""One study per comparison: split a table per study, refuse several where one is needed."""
import numpy as np
import pandas as pd
import pytest

from strikebench.analysis import (
    ResultsTableError, back_in_time, data_leverage_power, require_one_study, split_studies, studies_of,
)


def two_studies(make_table):
    # the case: ItemKNN on a time-ordered split next to Pop on a random split
    return make_table([
        dict(study="split=time", model="ItemKNN", participation=0.0, metric="ndcg@10", value=0.062),
        dict(study="split=time", model="ItemKNN", participation=0.3, metric="ndcg@10", value=0.050),
        dict(study="split=random", model="Pop", participation=0.0, metric="ndcg@10", value=0.144),
        dict(study="split=random", model="ItemKNN", participation=0.0, metric="ndcg@10", value=0.30),
        dict(study="split=random", model="ItemKNN", participation=0.3, metric="ndcg@10", value=0.20),
    ])


def test_split_and_require(make_table):
    t = two_studies(make_table)
    assert studies_of(t) == ["split=random", "split=time"]
    parts = dict(split_studies(t))
    assert list(parts) == ["split=random", "split=time"] and len(parts["split=time"]) == 2
    with pytest.raises(ResultsTableError, match="^study: a leaderboard compares rows of one study only, "
                                                "but the table holds 2: split=random, split=time"):
        require_one_study(t, "a leaderboard")
    assert require_one_study(parts["split=time"], "a leaderboard") == "split=time"
    # a table without the column is the default study
    assert studies_of(pd.DataFrame({"model": ["Pop"]})) == ["study"]
    assert [s for s, _ in split_studies(pd.DataFrame({"model": ["Pop"]}))] == ["study"]


def test_back_in_time_never_reaches_into_another_study(make_table):
    out = back_in_time(two_studies(make_table), {"Pop": 1990})
    time_split = out[(out["study"] == "split=time") & (out["model"] == "ItemKNN")].iloc[0]
    # the time split has no Pop: undefined, not "ItemKNN -> Pop: 0" from the random split's 0.144
    assert time_split["reason"] == "no reference model on full data" and np.isnan(time_split["participation"])
    random_split = out[(out["study"] == "split=random") & (out["model"] == "ItemKNN")].iloc[0]
    assert random_split["reason"] == "never reached"  # 0.30 -> 0.20 stays above 0.144


def test_dlp_scale_per_study(make_table):
    rows = []
    for study, low in (("A", 0.10), ("B", 0.20)):
        rows += [dict(study=study, model="MF", participation=0.0, metric="ndcg@10", value=0.40),
                 dict(study=study, model="MF", lever="transfer", company="competitor", participation=0.2,
                      metric="ndcg@10", value=low),
                 dict(study=study, model="MF", lever="transfer", company="competitor", participation=0.4,
                      metric="ndcg@10", value=0.30)]
    out = data_leverage_power(make_table(rows))
    at = out[(out["lever"] == "transfer") & np.isclose(out["participation"], 0.4)].set_index("study")
    # A: W = 0.10: (0.30 - 0.10) / (0.40 - 0.10) = 0.6667 ; B: W = 0.20: 0.10 / 0.20 = 0.5
    assert at.loc["A", "dlp"] == pytest.approx(0.2 / 0.3)
    assert at.loc["B", "dlp"] == pytest.approx(0.5)
