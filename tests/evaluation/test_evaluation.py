"""Ranking rules and per-group metrics, against values worked out by hand on a tiny case."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from strikebench.evaluation.evaluator import EvalContext, evaluate
from strikebench.evaluation.history import UserItems
from strikebench.evaluation.metrics import user_metrics
from strikebench.evaluation.ranking import ranking_keys, top_k
from strikebench.results.assemble import group_metrics

N_USERS, N_ITEMS = 3, 6  # ids 0 are RecBole's padding


def tiny_context(ks=(3,)):
    """User 1: history {1}, test {3, 5}. User 2: no training data, test {1, 5}.
    Popularity in the company's training data: item1 1, item2 2, item3 1, item4 3, item5 0 (unknown)."""
    return EvalContext(
        positives=UserItems.from_pairs(np.array([1, 1, 2, 2]), np.array([3, 5, 1, 5]), N_USERS, N_ITEMS),
        history=UserItems.from_pairs(np.array([1]), np.array([1]), N_USERS, N_ITEMS),
        popularity=torch.tensor([0, 1, 2, 1, 3, 0], dtype=torch.float32),
        has_training_data=torch.tensor([False, True, False]),
        ks=list(ks),
    )


def model_scores(users):
    # The model prefers lower item ids: 0.9, 0.8, ... for items 1..5.
    return torch.tensor([[0.0, 0.9, 0.8, 0.7, 0.6, 0.5]]).repeat(len(users), 1)


def test_per_user_metrics_by_hand():
    table = evaluate(model_scores, tiny_context()).set_index("user")
    # User 1: item 1 is history (masked); item 5 is unknown (ranks last) -> top-3 = [2, 3, 4]; hit at rank 2.
    u1 = table.loc[1]
    assert not u1["fallback"]
    assert u1["ndcg@3"] == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))
    assert (u1["recall@3"], u1["hit@3"], u1["mrr@3"], u1["precision@3"]) == pytest.approx((0.5, 1, 0.5, 1 / 3))
    # User 2: no training data -> popularity: 4 (3), 2 (2), then 1 and 3 tie (1) -> index order: 1 first.
    u2 = table.loc[2]
    assert u2["fallback"]
    assert u2["ndcg@3"] == pytest.approx((1 / math.log2(4)) / (1 + 1 / math.log2(3)))
    assert (u2["recall@3"], u2["hit@3"], u2["mrr@3"], u2["precision@3"]) == pytest.approx((0.5, 1, 1 / 3, 1 / 3))


def test_ties_break_by_item_index_and_unknown_items_rank_last():
    keys = ranking_keys(torch.full((1, N_ITEMS), 0.5), torch.zeros(1, N_ITEMS, dtype=torch.bool),
                        torch.tensor([False, True, True, False, True, True]))
    # item 0 is padding; item 3 unknown -> after every known item, before nothing masked.
    assert top_k(keys, 5).tolist() == [[1, 2, 4, 5, 3]]


def test_group_metrics_by_hand():
    per_user = evaluate(model_scores, tiny_context())
    per_user["participant"] = per_user["user"] == 2
    per_user["in_company"] = ~per_user["fallback"]
    groups = group_metrics(per_user, ["ndcg@3", "hit@3"])
    n1 = (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    n2 = (1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert groups["holdout"]["all"]["ndcg@3"] == pytest.approx((n1 + n2) / 2)
    assert groups["holdout"]["participants"]["ndcg@3"] == pytest.approx(n2)
    assert groups["holdout"]["non_participants"]["ndcg@3"] == pytest.approx(n1)
    assert groups["company"]["all"] == pytest.approx({"ndcg@3": n1, "hit@3": 1.0, "n_users": 1})
    assert groups["company"]["participants"] == {"ndcg@3": None, "hit@3": None, "n_users": 0}


@pytest.mark.parametrize("items, values", [(7, 3), (30, 40)])  # ties everywhere; ties inside and across the cut
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_top_k_equals_a_stable_sort(items, values, data):
    rows = data.draw(st.lists(st.lists(st.integers(0, values), min_size=items, max_size=items), min_size=1, max_size=6))
    k = data.draw(st.integers(1, min(items, 12)))
    keys = torch.tensor(rows, dtype=torch.float32)
    expected = [sorted(range(len(r)), key=lambda i: (-r[i], i))[:k] for r in rows]
    assert top_k(keys, k).tolist() == expected


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.booleans(), min_size=10, max_size=10), min_size=1, max_size=6), st.integers(1, 5))
def test_metrics_equal_recbole_metric_classes(hit_rows, extra_positives):
    from recbole.evaluator.metrics import MRR, NDCG, Hit, Precision, Recall

    hits = np.array(hit_rows)
    n_pos = hits.sum(axis=1) + extra_positives  # users have positives outside the top 10 too
    ours = user_metrics(torch.tensor(hits), torch.tensor(n_pos), [5, 10])
    config = {"topk": [5, 10], "metric_decimal_place": 10}
    for name, cls in (("ndcg", NDCG), ("recall", Recall), ("hit", Hit), ("mrr", MRR), ("precision", Precision)):
        metric = cls(config)
        reference = metric.metric_info(hits, n_pos) if name in ("ndcg", "recall") else metric.metric_info(hits)
        for k in (5, 10):
            np.testing.assert_allclose(ours[f"{name}@{k}"].numpy(), reference[:, k - 1], rtol=0, atol=1e-12)


def test_user_items_dense_mask():
    items = UserItems.from_pairs(np.array([2, 0, 2]), np.array([4, 1, 3]), 3, 5)
    mask = items.dense(torch.tensor([2, 1, 0]))
    assert mask.int().tolist() == [[0, 0, 0, 1, 1], [0, 0, 0, 0, 0], [0, 1, 0, 0, 0]]
    assert items.counts(torch.tensor([0, 1, 2])).tolist() == [1, 0, 2]


def test_a_duplicated_test_row_counts_once_as_in_recbole():
    # RecBole's FullSortEvalDataLoader keeps each user's positives as a set (uid2items_num is
    # len(set)): user 1's test rows are item 3 twice and item 5, so n_pos is 2, not 3.
    ctx = tiny_context()
    duplicated = EvalContext(
        positives=UserItems.from_pairs(np.array([1, 1, 1, 2, 2]), np.array([3, 3, 5, 1, 5]), N_USERS, N_ITEMS),
        history=ctx.history, popularity=ctx.popularity, has_training_data=ctx.has_training_data, ks=[3])
    table = evaluate(model_scores, duplicated).set_index("user")
    assert table.loc[1, "n_pos"] == 2
    # as without the duplicate: top-3 [2, 3, 4], one hit at rank 2 out of 2 positives
    assert table.loc[1, "recall@3"] == 0.5
    assert table.loc[1, "ndcg@3"] == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))
    assert table.equals(evaluate(model_scores, ctx).set_index("user"))


def test_user_items_pairs_and_membership_without_a_dense_mask():
    # User 2 holds items 3 and 4, user 0 item 1, user 1 nothing; batch order [2, 1, 0].
    items = UserItems.from_pairs(np.array([2, 0, 2]), np.array([4, 1, 3]), 3, 5)
    rows, held = items.pairs(torch.tensor([2, 1, 0]))
    assert list(zip(rows.tolist(), held.tolist())) == [(0, 3), (0, 4), (2, 1)]
    ranked = torch.tensor([[4, 1, 3], [1, 2, 3], [0, 1, 4]])
    assert items.contains(torch.tensor([2, 1, 0]), ranked).int().tolist() == [[1, 0, 1], [0, 0, 0], [0, 1, 0]]
    nobody = UserItems.from_pairs(np.array([], dtype=np.int64), np.array([], dtype=np.int64), 3, 5)
    assert not nobody.contains(torch.tensor([0]), torch.tensor([[1, 2]])).any()


def test_ranking_keys_mask_the_same_with_index_pairs_as_with_a_dense_mask():
    history = UserItems.from_pairs(np.array([0, 1, 1]), np.array([2, 1, 4]), 2, 6)
    users = torch.tensor([1, 0])
    scores = torch.tensor([[0.0, 0.3, 0.2, 0.9, 0.1, 0.5], [0.0, 0.4, 0.6, 0.6, 0.7, 0.1]])
    known = torch.tensor([False, True, True, True, True, False])
    by_pairs = ranking_keys(scores, history.pairs(users), known)
    # Row 0 (user 1): items 1, 4 masked; item 5 unknown; item 0 padding.
    unknown, masked = -1e30, float("-inf")
    torch.testing.assert_close(by_pairs, torch.tensor([[masked, masked, 0.2, 0.9, masked, unknown],
                                                       [masked, 0.4, masked, 0.6, 0.7, unknown]]))
    assert torch.equal(by_pairs, ranking_keys(scores, history.dense(users), known))
    assert scores[0, 1] == pytest.approx(0.3)  # the caller's scores are left as they were


def test_the_evaluator_masks_only_score_matrices_it_may_overwrite():
    cache = torch.tensor([[0.0, 0.9, 0.8, 0.7, 0.6, 0.5]]).repeat(3, 1)

    def cached_scores(users):  # a score function that hands out its own cache: must stay intact
        return cache[users]  # indexing copies; the slice below does not

    def cached_view(users):
        return cache[: len(users)]

    known_users = tiny_context()
    known_users.has_training_data = torch.tensor([True, True, True])  # no popularity fallback: no copy made there
    for score_fn in (cached_scores, cached_view):
        before = cache.clone()
        table = evaluate(score_fn, known_users).set_index("user")
        assert torch.equal(cache, before)
        assert table.loc[1, "hit@3"] == 1.0  # as test_per_user_metrics_by_hand
        assert table.loc[2, "hit@3"] == 1.0  # top-3 by the model: items 1, 2, 3; item 1 is a positive

    def fresh(users):
        return model_scores(users)

    fresh.returns_new_scores = True  # masked in place: the same metrics
    assert evaluate(fresh, tiny_context()).equals(evaluate(model_scores, tiny_context()))
