"""Scoring: user ids -> full-ranking scores [B, n_items] from a trained RecBole model."""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from strikebench.data.interactions import InteractionData
from strikebench.training.sequences import UserSequences, user_sequences

ScoreFn = Callable[[torch.Tensor], torch.Tensor]  # user ids [B] -> scores [B, n_items]


def _predict_all_items(model, batch_interaction, n_users: int, n_items: int, item_field: str):
    """RecBole's fallback for models without ``full_sort_predict`` (NeuMF): ``predict`` on
    every (user, item) pair, as RecBole's Trainer does in full-sort evaluation."""
    from recbole.data.interaction import Interaction

    items = torch.arange(n_items, device=model.device)
    chunk = max(1, 2 ** 18 // max(n_items, 1))  # about 260k pairs per forward pass
    parts = []
    for start in range(0, n_users, chunk):
        stop = min(start + chunk, n_users)
        rows = {k: v[start:stop].repeat_interleave(n_items, dim=0) for k, v in batch_interaction.interaction.items()}
        rows[item_field] = items.repeat(stop - start)
        parts.append(model.predict(Interaction(rows)).view(stop - start, n_items))
    return torch.cat(parts, dim=0)


def has_full_sort(model) -> bool:
    from recbole.model.abstract_recommender import AbstractRecommender

    return type(model).full_sort_predict is not AbstractRecommender.full_sort_predict


def score_function(model, user_field: str, item_field: str | None = None, n_items: int | None = None,
                   sequences: UserSequences | None = None) -> ScoreFn:
    """User ids -> full-ranking scores [B, n_items] from a RecBole model.

    Sequential models also get each user's item sequence (``sequences``): the company's
    interactions for that user, time-ordered and truncated to MAX_ITEM_LIST_LENGTH.
    """
    from recbole.data.interaction import Interaction

    full_sort = has_full_sort(model)

    def score(users: torch.Tensor) -> torch.Tensor:
        users = users.to(model.device)
        fields = {user_field: users}
        if sequences is not None:
            fields.update(sequences.fields(users))
        batch = Interaction(fields)
        if full_sort:
            return model.full_sort_predict(batch).view(len(users), -1)
        return _predict_all_items(model, batch, len(users), n_items, item_field)

    # A new matrix per call, as RecBole's Trainer assumes when it masks full_sort_predict's result
    # in place: the evaluator may mask it in place too (evaluation/evaluator.py).
    score.returns_new_scores = True
    return score


def company_score_function(model, config, data: InteractionData, rows: np.ndarray, sequential: bool,
                           device) -> ScoreFn:
    """The company's scores; sequential models read each user's sequence in ``rows``."""
    sequences = user_sequences(config, data, rows, device) if sequential else None
    return score_function(model, data.recbole_dataset.uid_field, data.recbole_dataset.iid_field,
                          data.n_items, sequences)
