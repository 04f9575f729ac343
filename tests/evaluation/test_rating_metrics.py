"""Surfaced hits and rating NDCG over users' own test items, checked by hand."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from strikebench.evaluation.rating_metrics import rating_per_user
from strikebench.evaluation.sampled import company_keys

# user 1 rated items 1..4 in the test set: 5, 2, 4, 1. The model ranks 2, 3, 4, 1.
# user 2 rated items 1 and 2: 3 and 3 (nothing liked).  user 3 rated item 5: 4.
USERS = np.array([1, 1, 1, 1, 2, 2, 3])
ITEMS = np.array([1, 2, 3, 4, 1, 2, 5])
RATINGS = np.array([5, 2, 4, 1, 3, 3, 4], dtype=float)
SCORES = torch.tensor([
    [0.0] * 6,
    [0.0, 0.1, 0.9, 0.8, 0.2, 0.0],
    [0.0, 0.5, 0.5, 0.0, 0.0, 0.0],   # tie: item 1 first (smaller index)
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.3],
])


def score_fn(users):
    return SCORES[users]


def ndcg(gains_in_ranked_order):
    dcg = sum(g / math.log2(r + 2) for r, g in enumerate(gains_in_ranked_order))
    ideal = sum(g / math.log2(r + 2) for r, g in enumerate(sorted(gains_in_ranked_order, reverse=True)))
    return dcg / ideal


def test_surfaced_hits_and_rating_ndcg_by_hand():
    out = rating_per_user(score_fn, USERS, ITEMS, RATINGS).set_index("user")
    # user 1: liked (>= 4) items 1 and 3, n_u = 2; top 2 of the ranking are items 2 and 3 -> 1 hit
    assert out.loc[1, "n_liked"] == 2
    assert out.loc[1, "surfaced_hits@n_u"] == 1
    assert out.loc[1, "surfaced_share@n_u"] == 0.5
    assert out.loc[1, "rating_ndcg@n_test"] == pytest.approx(ndcg([2, 4, 1, 5]))
    # user 2: nothing liked -> 0 hits, share undefined; equal ratings -> NDCG 1
    assert out.loc[2, "surfaced_hits@n_u"] == 0
    assert np.isnan(out.loc[2, "surfaced_share@n_u"])
    assert out.loc[2, "rating_ndcg@n_test"] == pytest.approx(1.0)
    # user 3: a single liked item is always surfaced
    assert out.loc[3, "surfaced_hits@n_u"] == 1 and out.loc[3, "rating_ndcg@n_test"] == 1.0


def test_exponential_gain():
    out = rating_per_user(score_fn, USERS, ITEMS, RATINGS, gain="exponential").set_index("user")
    assert out.loc[1, "rating_ndcg@n_test"] == pytest.approx(ndcg([2**r - 1 for r in (2, 4, 1, 5)]))


def test_ties_break_by_item_index_and_company_rules_apply():
    # user 1 scored by a company that does not know item 3: it drops below every known item,
    # so the ranking is 2, 4, 1, 3 and neither liked item (1, 3) is in the top 2.
    popularity = torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0, 1.0])
    keys = company_keys(score_fn, popularity, torch.tensor([False, True, True, True]))
    out = rating_per_user(keys, USERS, ITEMS, RATINGS).set_index("user")
    assert out.loc[1, "surfaced_hits@n_u"] == 0
    assert out.loc[1, "rating_ndcg@n_test"] == pytest.approx(ndcg([2, 1, 5, 4]))
    # ties: user 2's items 1 and 2 tie; a threshold of 3 likes both, n_u = 2, both surfaced
    out = rating_per_user(score_fn, USERS, ITEMS, RATINGS, like_threshold=3).set_index("user")
    assert out.loc[2, "surfaced_hits@n_u"] == 2


def test_batches_do_not_change_results():
    a = rating_per_user(score_fn, USERS, ITEMS, RATINGS, batch_size=1)
    b = rating_per_user(score_fn, USERS, ITEMS, RATINGS, batch_size=100)
    assert a.equals(b)
