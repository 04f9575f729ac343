"""The synthetic generator: exact shape, no repeats, skew, determinism, files RecBole reads."""
from __future__ import annotations

import numpy as np
import pytest

from strikebench.datasets.synthetic import generate, generate_arrays, params_hash, write_atomic
from strikebench.errors import ConfigError

SHAPE = dict(n_users=300, n_items=500, n_interactions=12_000)


@pytest.fixture(scope="module")
def data():
    return generate_arrays(**SHAPE, n_categories=8, seed=7)


def test_exact_counts_and_no_repeated_pairs(data):
    assert len(data) == len(data.user) == len(data.item) == 12_000
    assert data.n_users == 300 and data.n_items == 500
    assert np.array_equal(np.unique(data.user), np.arange(300))  # every user is there
    assert data.item.min() >= 0 and data.item.max() < 500
    pairs = data.user.astype(np.int64) * data.n_items + data.item
    assert len(np.unique(pairs)) == len(pairs)


def test_every_user_has_the_minimum_and_no_one_exceeds_the_cap(data):
    per_user = np.bincount(data.user, minlength=300)
    assert per_user.min() >= 5
    assert per_user.max() <= 250  # max_user_share 0.5 of 500 items
    assert per_user.max() > 3 * np.median(per_user)  # heavy-tailed activity

    strict = generate_arrays(**SHAPE, min_per_user=20, seed=1)
    assert np.bincount(strict.user).min() >= 20


def test_popularity_is_skewed(data):
    per_item = np.sort(np.bincount(data.item, minlength=500))[::-1]
    top_share = per_item[:50].sum() / per_item.sum()  # top 10% of items
    assert top_share > 0.30, top_share  # uniform popularity would give about 0.10
    flat = generate_arrays(**SHAPE, zipf_exponent=0.0, taste_concentration=None, seed=7)
    flat_items = np.sort(np.bincount(flat.item, minlength=500))[::-1]
    assert flat_items[:50].sum() / flat_items.sum() < 0.16  # ~0.10 plus sampling noise


def test_ratings_timestamps_and_categories(data):
    assert data.rating.dtype == np.int8 and set(np.unique(data.rating)) <= {1, 2, 3, 4, 5}
    assert len(np.unique(data.rating)) >= 4
    assert data.timestamp.min() >= 946_684_800 and data.timestamp.dtype == np.int64
    assert data.item_category.shape == (500,) and set(np.unique(data.item_category)) == set(range(8))

    bare = generate_arrays(**SHAPE, ratings=False, timestamps=False, seed=7)
    assert bare.rating is None and bare.timestamp is None and bare.item_category is None


def test_users_have_taste_for_categories(data):
    # With focused taste, a user's favourite category holds far more than 1/8 of their items.
    cats = data.item_category[data.item]
    counts = np.zeros((300, 8))
    np.add.at(counts, (data.user, cats), 1)
    favourite_share = (counts.max(axis=1) / counts.sum(axis=1)).mean()
    assert favourite_share > 0.35, favourite_share


def test_same_seed_same_data_other_seed_other_data(data):
    again = generate_arrays(**SHAPE, n_categories=8, seed=7)
    for field in ("user", "item", "rating", "timestamp", "item_category"):
        assert np.array_equal(getattr(data, field), getattr(again, field))
    other = generate_arrays(**SHAPE, n_categories=8, seed=8)
    assert not np.array_equal(data.item, other.item)
    assert params_hash({"seed": 7}) == params_hash({"seed": 7}) != params_hash({"seed": 8})


def test_dense_and_skewed_still_exact():
    # Near-saturated users on steep popularity: the resampling must still finish exactly.
    d = generate_arrays(n_users=20, n_items=30, n_interactions=500, max_user_share=1.0,
                        zipf_exponent=2.0, seed=3)
    assert len(d) == 500 and np.bincount(d.user).max() <= 30
    pairs = d.user.astype(np.int64) * 30 + d.item
    assert len(np.unique(pairs)) == 500


def test_impossible_shapes_are_refused_naming_the_field():
    with pytest.raises(ConfigError, match="dataset.synthetic.n_interactions"):
        generate_arrays(n_users=100, n_items=50, n_interactions=400)  # below 100 users x 5
    with pytest.raises(ConfigError, match="dataset.synthetic.n_interactions"):
        generate_arrays(n_users=10, n_items=20, n_interactions=150)  # above 10 x (0.5 x 20)
    with pytest.raises(ConfigError, match="dataset.synthetic.max_user_share"):
        generate_arrays(n_users=10, n_items=20, n_interactions=60, max_user_share=0)
    with pytest.raises(ConfigError, match="dataset.synthetic.colour"):
        generate({"n_users": 10, "n_items": 20, "n_interactions": 60, "colour": 1}, "/nonexistent", "x")


def test_written_files_are_atomic_files(data, tmp_path):
    write_atomic(data, tmp_path, "syn")
    inter = (tmp_path / "syn.inter").read_text().splitlines()
    assert inter[0] == "user_id:token\titem_id:token\trating:float\ttimestamp:float"
    assert len(inter) == 12_001
    u, i, r, t = inter[1].split("\t")
    assert int(u) == data.user[0] + 1 and int(i) == data.item[0] + 1  # tokens are 1-based ids
    assert int(r) == data.rating[0] and int(t) == data.timestamp[0]
    item = (tmp_path / "syn.item").read_text().splitlines()
    assert item[0] == "item_id:token\tclass:token_seq" and len(item) == 501
    assert item[1] == f"1\tc{data.item_category[0] + 1}"
