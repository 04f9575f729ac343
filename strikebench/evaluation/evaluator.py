"""Evaluate one company's model on a fixed set of users with full ranking over all items."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
import torch

from strikebench.evaluation.history import UserItems
from strikebench.evaluation.metrics import METRICS, user_metrics
from strikebench.evaluation.ranking import company_scores, ranking_keys, top_k

ScoreFn = Callable[[torch.Tensor], torch.Tensor]  # user ids [B] -> scores [B, n_items]


@dataclass
class EvalContext:
    """What a company knows (history, popularity) and what it is judged on (positives)."""

    positives: UserItems  # the evaluated interactions (fixed test, or the company's valid)
    history: UserItems  # what the company saw for each user: masked, never recommended
    popularity: torch.Tensor  # item counts in the company's training data: the fallback
    has_training_data: torch.Tensor  # bool [n_users]
    ks: list[int]
    metrics: tuple = METRICS

    @classmethod
    def build(cls, n_users, n_items, eval_pairs, history_pairs, train_items, train_users, ks,
              metrics=METRICS, device="cpu") -> "EvalContext":
        has_train = np.zeros(n_users, dtype=bool)
        has_train[train_users] = True
        return cls(
            positives=UserItems.from_pairs(*eval_pairs, n_users, n_items, device),
            history=UserItems.from_pairs(*history_pairs, n_users, n_items, device),
            popularity=torch.as_tensor(np.bincount(train_items, minlength=n_items), dtype=torch.float32, device=device),
            has_training_data=torch.as_tensor(has_train, device=device),
            ks=list(ks),
            metrics=tuple(metrics),
        )

    @classmethod
    def for_company(cls, data, train_rows, eval_pairs, ks, metrics=METRICS, device="cpu",
                    history_rows=None, also_masked=None) -> "EvalContext":
        """A company judged on ``eval_pairs`` (users, items): it learnt from ``data``'s
        ``train_rows`` (its popularity and which users it knows) and never recommends a user the
        items of ``history_rows`` (default: ``train_rows``) nor the (users, items) pairs of
        ``also_masked`` (``eval.mask=user``: each user's true train + valid history). ``data``
        holds the items as the company holds them (poisoned rows point at their new items)."""
        history_rows = train_rows if history_rows is None else history_rows
        users, items = data.user[history_rows], data.item[history_rows]
        if also_masked is not None:
            users, items = np.concatenate([users, also_masked[0]]), np.concatenate([items, also_masked[1]])
        return cls.build(data.n_users, data.n_items, eval_pairs=eval_pairs, history_pairs=(users, items),
                         train_items=data.item[train_rows], train_users=data.user[train_rows],
                         ks=ks, metrics=metrics, device=device)

    def users(self) -> torch.Tensor:
        """Users with at least one evaluated interaction."""
        n = len(self.positives.indptr) - 1
        return torch.nonzero(self.positives.counts(torch.arange(n, device=self.positives.indptr.device))).flatten()


def evaluate_batch(score_fn: ScoreFn, users: torch.Tensor, ctx: EvalContext) -> dict[str, torch.Tensor]:
    """Per-user metrics for a batch of users, plus ``n_pos`` and ``fallback``.

    Users the company holds no training data for are ranked by popularity in the company's
    training data instead of by the model, as a real company would do.
    """
    scores, fallback = company_scores(score_fn, users, ctx.popularity, ctx.has_training_data)
    keys = ranking_keys(scores, ctx.history.pairs(users), ctx.popularity > 0,
                        in_place=_owned(score_fn, scores, fallback))
    ranked = top_k(keys, max(ctx.ks))
    hits = ctx.positives.contains(users, ranked)
    n_pos = ctx.positives.counts(users)
    out = user_metrics(hits, n_pos, ctx.ks, ctx.metrics)
    out["n_pos"] = n_pos
    out["fallback"] = fallback
    return out


def _owned(score_fn: ScoreFn, scores: torch.Tensor, fallback: torch.Tensor) -> bool:
    """Whether only this batch holds ``scores``, so that the keys may be masked into it: a mix
    with the popularity fallback is a new matrix (an all-fallback batch is a view of the
    popularity), and a score function marked ``returns_new_scores`` (strikebench's, around
    RecBole's full_sort_predict, whose result RecBole's Trainer overwrites too) makes one per call."""
    if scores.stride(0) == 0:
        return False
    return bool(fallback.any()) or bool(getattr(score_fn, "returns_new_scores", False))


@torch.no_grad()
def evaluate(score_fn: ScoreFn, ctx: EvalContext, batch_size: int = 1024) -> pd.DataFrame:
    """One row per evaluated user: ``user``, ``n_pos``, ``fallback`` and one column per metric."""
    users = ctx.users()
    columns: dict[str, list] = {"user": []}
    for start in range(0, len(users), batch_size):
        batch = users[start : start + batch_size]
        columns["user"].append(batch.cpu().numpy())
        for name, values in evaluate_batch(score_fn, batch, ctx).items():
            columns.setdefault(name, []).append(values.cpu().numpy())
    if not columns["user"]:
        names = ["user", "n_pos", "fallback"] + [f"{m}@{k}" for k in ctx.ks for m in ctx.metrics]
        return pd.DataFrame({n: [] for n in names})
    return pd.DataFrame({name: np.concatenate(parts) for name, parts in columns.items()})
