"""Explicit-rating metrics over each user's own test items (datasets with ratings).

The Data Strikes study (Vincent, Hecht & Sen 2019) ranks only the items a user rated in the test
set, so a model is judged on ordering what the user actually saw:

- **surfaced hits** (``surfaced_hits@n_u``): rank the user's own test items by the company's
  ranking keys; n_u = the user's test items rated >= ``like_threshold`` (4 on a 1-5 scale);
  count how many of those n_u liked items land in the top n_u places. ``surfaced_share@n_u`` is
  that count / n_u (NaN when n_u = 0: nothing to surface).
- **rating NDCG** (``rating_ndcg@n_test``): NDCG over the user's whole own test list, graded by
  rating: DCG = sum_r gain(rating at place r) / log2(r + 1), r = 1..n; divided by the DCG of
  the list sorted by rating. gain = rating (``gain="linear"``, default) or 2^rating - 1
  (``"exponential"``). A user with one test item gets 1.

Ranking follows docs/design.md rule 4 through ``keys_fn`` (see ``sampled.company_keys``): ties break by
the smaller item index.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from strikebench.evaluation.sampled import ScoreFn

LIKE_THRESHOLD = 4.0
RATING_METRICS = ("surfaced_hits@n_u", "surfaced_share@n_u", "rating_ndcg@n_test")
GAINS = ("linear", "exponential")


def _own_lists(users: np.ndarray, items: np.ndarray, ratings: np.ndarray):
    """Users' own test items as a padded [n_users_with_test, L] layout (item -1, rating NaN pad)."""
    order = np.lexsort((items, users))
    users, items, ratings = users[order], items[order], ratings[order].astype(float)
    unique, start, counts = np.unique(users, return_index=True, return_counts=True)
    width = int(counts.max(initial=0))
    pos = np.arange(len(users)) - np.repeat(start, counts)
    row = np.repeat(np.arange(len(unique)), counts)
    item_grid = np.full((len(unique), width), -1, dtype=np.int64)
    rating_grid = np.full((len(unique), width), np.nan)
    item_grid[row, pos] = items
    rating_grid[row, pos] = ratings
    return unique, torch.as_tensor(item_grid), torch.as_tensor(rating_grid)


def _gain(ratings: torch.Tensor, gain: str) -> torch.Tensor:
    return ratings if gain == "linear" else torch.pow(2.0, ratings) - 1.0


@torch.no_grad()
def rating_per_user(keys_fn: ScoreFn, users: np.ndarray, items: np.ndarray, ratings: np.ndarray,
                    like_threshold: float = LIKE_THRESHOLD, gain: str = "linear",
                    batch_size: int = 1024, device="cpu") -> pd.DataFrame:
    """One row per test user: ``user``, ``n_liked`` (n_u) and the metrics of the module docstring.

    ``users`` / ``items`` / ``ratings``: the fixed test interactions (internal ids, raw ratings).
    """
    if gain not in GAINS:
        raise ValueError(f"gain must be one of {GAINS}, got {gain!r}")
    unique, item_grid, rating_grid = _own_lists(np.asarray(users), np.asarray(items), np.asarray(ratings))
    columns = {"user": unique, "n_liked": [], RATING_METRICS[0]: [], RATING_METRICS[1]: [], RATING_METRICS[2]: []}
    for start in range(0, len(unique), batch_size):
        batch_users = torch.as_tensor(unique[start:start + batch_size], dtype=torch.long)
        keys = keys_fn(batch_users.to(device)).double().cpu()
        its, rts = item_grid[start:start + batch_size], rating_grid[start:start + batch_size]
        present = its >= 0
        score = keys.gather(1, its.clamp(min=0)).masked_fill(~present, float("-inf"))
        # sort by key descending, ties by smaller item index: sort by index first, then stable by key
        by_index = torch.argsort(its.masked_fill(~present, np.iinfo(np.int64).max), dim=1, stable=True)
        by_key = torch.argsort(score.gather(1, by_index), dim=1, descending=True, stable=True)
        ranked = by_index.gather(1, by_key)
        ranked_ratings = rts.gather(1, ranked)  # NaN pads sort last (score -inf)
        liked = (ranked_ratings >= like_threshold)
        n_liked = liked.sum(dim=1)
        place = torch.arange(its.shape[1]).unsqueeze(0)
        hits = (liked & (place < n_liked.unsqueeze(1))).sum(dim=1)
        share = hits.double() / n_liked.double()  # 0 / 0 = NaN: nothing to surface
        discount = 1.0 / torch.log2(place.double() + 2.0)
        dcg = torch.nansum(_gain(ranked_ratings, gain) * discount, dim=1)
        ideal = torch.sort(torch.nan_to_num(rts, nan=-np.inf), dim=1, descending=True).values
        ideal = ideal.masked_fill(torch.isinf(ideal), np.nan)  # pads back to NaN, last
        idcg = torch.nansum(_gain(ideal, gain) * discount, dim=1)
        columns["n_liked"].append(n_liked.numpy())
        columns[RATING_METRICS[0]].append(hits.double().numpy())
        columns[RATING_METRICS[1]].append(share.numpy())
        columns[RATING_METRICS[2]].append((dcg / idcg).numpy())
    if not len(unique):
        return pd.DataFrame({name: [] for name in columns})
    return pd.DataFrame({name: (values if name == "user" else np.concatenate(values)) for name, values in columns.items()})
