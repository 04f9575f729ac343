"""Sampled ranking: each test positive ranked against n sampled negatives (default 99).

The protocol of He et al. (NCF, WWW 2017) and of much work since; Krichene & Rendle (KDD 2020)
show it can order models differently from full ranking, so strikebench reports it *besides* the
full-ranking metrics, never instead of them.

- Negatives for a positive (u, i) are drawn uniformly, without replacement, from the items u has
  in no split (train, valid or test of the fixed split), never the padding item 0. They are drawn
  once per study from ``seed`` and depend only on the split, so every model, company and
  participation level is ranked against the same negatives (paired).
- The rank r of the positive (0 = first) counts the negatives ranked above it under the company's
  ranking rules (docs/design.md rule 4: users without training data get the company's popularity,
  unknown items rank after known ones, ties break by the smaller item index).
- Per positive: hit@k = [r < k], ndcg@k = [r < k] / log2(r + 2), mrr@k = [r < k] / (r + 1).
  Per user: the mean over the user's test positives.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
import torch

from strikebench.evaluation.ranking import UNKNOWN_ITEM_SCORE, company_scores

ScoreFn = Callable[[torch.Tensor], torch.Tensor]  # user ids [B] -> scores [B, n_items]
SAMPLED_METRICS = ("ndcg", "hit", "mrr")
_DRAW_ROWS = 512  # fixed chunk of the negative draw: the draw must not depend on any batch size


def company_keys(score_fn: ScoreFn, popularity: torch.Tensor | None = None,
                 has_training_data: torch.Tensor | None = None) -> ScoreFn:
    """Wrap a model's ``score_fn`` into the company's ranking keys (docs/design.md rule 4).

    ``popularity`` [n_items]: item counts in the company's training data; users whose
    ``has_training_data`` is False are scored by it, and items with count 0 are demoted below
    every known item. Without ``popularity`` the model's scores are used as they are.
    """
    def keys(users: torch.Tensor) -> torch.Tensor:
        if popularity is None:
            return score_fn(users).float()
        pop = popularity.float()
        scores, _ = company_scores(score_fn, users, pop, has_training_data)
        return scores.masked_fill(~(pop > 0).unsqueeze(0), UNKNOWN_ITEM_SCORE)

    return keys


def sample_negatives(pos_users: np.ndarray, all_users: np.ndarray, all_items: np.ndarray, n_items: int,
                     n_negatives: int = 99, seed: int = 0) -> torch.Tensor:
    """Negatives [n_pos, n_negatives] for positives of ``pos_users``; -1 where a user has too few.

    ``all_users`` / ``all_items``: every interaction of every split (what a user "has"). Uniform
    without replacement: the ``n_negatives`` smallest of i.i.d. uniform keys over the eligible
    items. Drawn in fixed chunks from one seeded generator, so the result depends only on the
    inputs and ``seed``.
    """
    from strikebench.evaluation.history import UserItems

    n_users = int(max(pos_users.max(initial=0), all_users.max(initial=0))) + 1
    owned = UserItems.from_pairs(np.asarray(all_users), np.asarray(all_items), n_users, n_items)
    generator = torch.Generator().manual_seed(int(seed))
    users = torch.as_tensor(np.asarray(pos_users), dtype=torch.long)
    out = torch.empty(len(users), n_negatives, dtype=torch.long)
    k = min(n_negatives, n_items - 1)
    for start in range(0, len(users), _DRAW_ROWS):
        batch = users[start:start + _DRAW_ROWS]
        keys = torch.rand(len(batch), n_items, generator=generator)
        taken = owned.dense(batch)
        taken[:, 0] = True  # the padding item
        keys = keys.masked_fill(taken, float("inf"))
        drawn = torch.topk(keys, k, dim=1, largest=False)
        chosen = drawn.indices.masked_fill(torch.isinf(drawn.values), -1)
        out[start:start + len(batch), :k] = chosen
        out[start:start + len(batch), k:] = -1
    return out


@torch.no_grad()
def sampled_ranks(keys_fn: ScoreFn, pos_users: torch.Tensor, pos_items: torch.Tensor,
                  negatives: torch.Tensor, batch_size: int = 1024, device="cpu") -> torch.Tensor:
    """Rank (0 = first) of each positive among itself and its negatives (-1 entries ignored).

    A negative is above the positive when its key is larger, or equal with a smaller item index.
    """
    ranks = torch.empty(len(pos_users), dtype=torch.long)
    order = torch.argsort(pos_users, stable=True)
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        users, inverse = torch.unique(pos_users[rows], return_inverse=True)
        keys = keys_fn(users.to(device))
        item, neg, inverse = pos_items[rows].to(keys.device), negatives[rows].to(keys.device), inverse.to(keys.device)
        s_pos = keys[inverse, item].unsqueeze(1)
        valid = neg >= 0
        s_neg = keys[inverse.unsqueeze(1).expand_as(neg), neg.clamp(min=0)]
        above = (s_neg > s_pos) | ((s_neg == s_pos) & (neg < item.unsqueeze(1)))
        ranks[rows] = (above & valid).sum(dim=1).cpu()
    return ranks


def metrics_from_ranks(ranks: torch.Tensor, ks, metrics=SAMPLED_METRICS) -> dict[str, torch.Tensor]:
    """Per-positive hit / ndcg / mrr at each k from 0-based ranks (named ``sampled_<m>@k``)."""
    r = ranks.double()
    out = {}
    for k in ks:
        inside = (ranks < k).double()
        for m in metrics:
            if m == "hit":
                value = inside
            elif m == "ndcg":
                value = inside / torch.log2(r + 2.0)
            elif m == "mrr":
                value = inside / (r + 1.0)
            else:
                raise ValueError(f"unknown sampled metric {m!r} (known: {', '.join(SAMPLED_METRICS)})")
            out[f"sampled_{m}@{k}"] = value
    return out


def sampled_per_user(keys_fn: ScoreFn, pos_users: np.ndarray, pos_items: np.ndarray,
                     negatives: torch.Tensor, ks=(10,), metrics=SAMPLED_METRICS,
                     batch_size: int = 1024, device="cpu") -> pd.DataFrame:
    """One row per user with a test positive: ``user`` and the mean of each sampled metric
    over that user's positives."""
    users_t = torch.as_tensor(np.asarray(pos_users), dtype=torch.long)
    items_t = torch.as_tensor(np.asarray(pos_items), dtype=torch.long)
    ranks = sampled_ranks(keys_fn, users_t, items_t, negatives, batch_size, device)
    per_positive = pd.DataFrame({name: v.numpy() for name, v in metrics_from_ranks(ranks, ks, metrics).items()})
    per_positive.insert(0, "user", np.asarray(pos_users))
    return per_positive.groupby("user", sort=True).mean().reset_index()
