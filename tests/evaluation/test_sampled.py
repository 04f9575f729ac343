"""Sampled ranking (1 positive vs sampled negatives), checked by hand on 5 items."""
from __future__ import annotations

import math

import numpy as np
import torch

from strikebench.evaluation.sampled import (
    company_keys, metrics_from_ranks, sample_negatives, sampled_per_user, sampled_ranks,
)

# items 1..5 (0 is padding). User 1 has items 1, 2 in train and 3 in test; user 2 has 5 in test.
ALL_USERS = np.array([1, 1, 1, 2])
ALL_ITEMS = np.array([1, 2, 3, 5])
N_ITEMS = 6
SCORES = torch.tensor([
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [0.0, 0.9, 0.8, 0.5, 0.7, 0.1],   # user 1: negatives 4 (0.7) above and 5 (0.1) below item 3
    [0.0, 0.3, 0.2, 0.9, 0.5, 0.5],   # user 2: item 4 ties item 5 and has the smaller index
])


def score_fn(users):
    return SCORES[users]


def test_negatives_are_items_the_user_has_in_no_split_and_seeded():
    neg = sample_negatives(np.array([1, 2]), ALL_USERS, ALL_ITEMS, N_ITEMS, n_negatives=99, seed=0)
    assert neg.shape == (2, 99)
    assert sorted(neg[0][neg[0] >= 0].tolist()) == [4, 5]        # user 1 may only get 4 and 5
    assert sorted(neg[1][neg[1] >= 0].tolist()) == [1, 2, 3, 4]  # user 2 owns 5
    assert (neg[:, 5:] == -1).all()                              # too few items: the rest is empty
    again = sample_negatives(np.array([1, 2]), ALL_USERS, ALL_ITEMS, N_ITEMS, n_negatives=99, seed=0)
    assert torch.equal(neg, again)


def test_draw_is_uniform_without_replacement_and_depends_on_seed():
    rng = np.random.default_rng(0)
    users = rng.integers(1, 30, 400)
    items = rng.integers(1, 200, 400)
    a = sample_negatives(users[:50], users, items, 200, n_negatives=20, seed=1)
    b = sample_negatives(users[:50], users, items, 200, n_negatives=20, seed=2)
    assert not torch.equal(a, b)
    owned = {(u, i) for u, i in zip(users, items)}
    for u, row in zip(users[:50], a.tolist()):
        assert len(set(row)) == 20 and 0 not in row
        assert not any((u, i) in owned for i in row)


def test_rank_counts_negatives_above_with_ties_to_the_smaller_index():
    negatives = torch.tensor([[4, 5, -1], [4, 1, -1]])
    ranks = sampled_ranks(score_fn, torch.tensor([1, 2]), torch.tensor([3, 5]), negatives)
    # user 1: only item 4 (0.7 > 0.5) is above item 3. user 2: item 4 ties item 5 (0.5) and wins
    # the tie by index; item 1 (0.3) is below.
    assert ranks.tolist() == [1, 1]
    negatives = torch.tensor([[5, -1, -1]])
    assert sampled_ranks(score_fn, torch.tensor([2]), torch.tensor([4]), negatives).tolist() == [0]


def test_metrics_from_ranks_by_hand():
    m = metrics_from_ranks(torch.tensor([0, 1, 10]), ks=[1, 10])
    assert m["sampled_hit@1"].tolist() == [1, 0, 0]
    assert m["sampled_hit@10"].tolist() == [1, 1, 0]
    assert torch.allclose(m["sampled_ndcg@10"], torch.tensor([1.0, 1 / math.log2(3), 0.0], dtype=torch.float64))
    assert torch.allclose(m["sampled_mrr@10"], torch.tensor([1.0, 0.5, 0.0], dtype=torch.float64))


def test_per_user_means_over_the_users_positives():
    # user 1 has two positives: item 3 (rank 1) and item 4 (rank 0 against item 5 only)
    negatives = torch.tensor([[4, 5], [5, -1]])
    out = sampled_per_user(score_fn, np.array([1, 1]), np.array([3, 4]), negatives, ks=[1])
    assert out["user"].tolist() == [1]
    assert out["sampled_hit@1"].tolist() == [0.5]
    assert out["sampled_mrr@1"].tolist() == [0.5]


def test_company_rules_unknown_items_last_and_popularity_for_users_without_data():
    popularity = torch.tensor([0.0, 3.0, 2.0, 1.0, 0.0, 5.0])   # item 4 unknown to the company
    has_data = torch.tensor([False, True, False])
    keys = company_keys(score_fn, popularity, has_data)
    negatives = torch.tensor([[4, 5], [1, 2]])
    ranks = sampled_ranks(keys, torch.tensor([1, 2]), torch.tensor([3, 3]), negatives)
    # user 1: item 4 scored 0.7 by the model but is unknown -> below item 3; item 5 (0.1) below.
    # user 2 has no training data: popularity 3 (item 1) and 2 (item 2) beat item 3's 1.
    assert ranks.tolist() == [0, 2]
