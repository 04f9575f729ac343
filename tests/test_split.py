"""The fixed split follows RecBole's eval_args semantics and is made once, independently of models."""
from __future__ import annotations

import numpy as np
import pytest

from strikebench.data.split import make_split, ratio_cut_points
from strikebench.errors import ConfigError

RS = {"seed": 7, "order": "RO", "mode": "RS", "ratios": [0.8, 0.1, 0.1]}


@pytest.mark.parametrize("total", [1, 2, 3, 5, 9, 10, 11, 23, 100])
def test_cut_points_equal_recbole(total):
    from recbole.data.dataset import Dataset

    for ratios in ([0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.6, 0.2, 0.2]):
        assert ratio_cut_points(total, ratios) == Dataset._calcu_split_ids(None, total, ratios)


def test_ratio_split_by_hand():
    # user 0 has 10 interactions -> 8 / 1 / 1; user 1 has 3 -> RecBole gives 1 / 1 / 1.
    user = np.array([0] * 10 + [1] * 3)
    split = make_split(user, None, RS)
    assert np.bincount(user[split.train]).tolist() == [8, 1]
    assert np.bincount(user[split.valid]).tolist() == [1, 1]
    assert np.bincount(user[split.test]).tolist() == [1, 1]
    every = np.sort(np.concatenate([split.train, split.valid, split.test]))
    assert every.tolist() == list(range(13))  # a partition of the rows


def test_time_ordered_leave_one_out_by_hand():
    # user 0: times 5,1,3,4 -> train {1,3}, valid {4}, test {5}; user 1: two rows -> train, test.
    user = np.array([0, 0, 0, 0, 1, 1])
    time = np.array([5, 1, 3, 4, 9, 8])
    split = make_split(user, time, {"seed": 0, "order": "TO", "mode": "LS"})
    assert sorted(split.train.tolist()) == [1, 2, 5]
    assert split.valid.tolist() == [3]
    assert split.test.tolist() == [0, 4]


def test_split_depends_only_on_its_seed():
    user = np.repeat(np.arange(20), 10)
    a, b = make_split(user, None, RS), make_split(user, None, RS)
    assert np.array_equal(a.test, b.test) and np.array_equal(a.valid, b.valid)
    np.random.seed(123)  # global generators do not matter
    c = make_split(user, None, RS)
    assert np.array_equal(a.test, c.test)
    d = make_split(user, None, dict(RS, seed=8))
    assert not np.array_equal(a.test, d.test)


def test_bad_split_config_names_the_field():
    user = np.zeros(3, dtype=int)
    with pytest.raises(ConfigError, match="split.order"):
        make_split(user, None, dict(RS, order="XX"))
    with pytest.raises(ConfigError, match="split.order"):
        make_split(user, None, dict(RS, order="TO"))  # no timestamps
    with pytest.raises(ConfigError, match="split.ratios"):
        make_split(user, None, dict(RS, ratios=[0.5, 0.5]))


def test_ml100k_split_sizes(ml100k):
    data, split = ml100k
    assert len(data) == 100_000
    assert data.rating.min() == 1 and data.rating.max() == 5  # raw scale, not RecBole's normalised 0..1
    assert len(split.train) + len(split.valid) + len(split.test) == 100_000
    # Every ML-100K user has >= 20 ratings, so everyone has valid and test interactions.
    assert len(np.unique(data.user[split.test])) == 943
    assert len(np.unique(data.user[split.valid])) == 943
