"""The validation metric a company's training early-stops on, built here and handed to training.

Training knows nothing of the evaluator: it calls the function :func:`validation_metric`
returns with its current score function, once per validation epoch.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from strikebench.evaluation.evaluator import EvalContext, ScoreFn, evaluate_batch


def validation_metric(data, train_rows: np.ndarray, valid_rows: np.ndarray, monitor: str, device,
                      batch_size: int) -> Callable[[ScoreFn], float]:
    """``monitor`` (``metric@k``, e.g. ``ndcg@10``) averaged over the users of ``valid_rows``.

    As on the test set: each user's training items are masked, and users without training
    rows are ranked by the popularity in ``train_rows`` (docs/design.md rule 4). ``data`` is the
    dataset as the company holds it (poisoned rows rewritten); users are scored in batches of
    ``batch_size``.
    """
    metric, _, k = str(monitor).partition("@")
    ctx = EvalContext.for_company(data, train_rows, (data.user[valid_rows], data.item[valid_rows]),
                                  ks=[int(k)], metrics=(metric,), device=device)
    users = ctx.users()
    column = f"{metric}@{int(k)}"

    @torch.no_grad()
    def validate(score_fn: ScoreFn) -> float:
        total = 0.0
        for start in range(0, len(users), batch_size):
            total += float(evaluate_batch(score_fn, users[start:start + batch_size], ctx)[column].sum())
        return total / max(len(users), 1)

    return validate
