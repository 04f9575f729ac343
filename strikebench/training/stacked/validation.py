"""A cell's validation metric as one cell trained alone computes it (fit_company's EvalContext):
the company's valid rows, its training items masked, users without training rows ranked by
popularity. For callers that have no validation function of their own yet."""
from __future__ import annotations

import numpy as np

from strikebench.evaluation.evaluator import EvalContext, evaluate
from strikebench.training.stacked.members import Validate


def monitored_metric(data, train_rows: np.ndarray, valid_rows: np.ndarray, monitor: str, device="cpu",
                     batch_size: int = 1024) -> Validate:
    """``monitor`` (``metric@k``) averaged over the users of ``valid_rows``, of a score function."""
    metric, _, k = str(monitor).partition("@")
    ctx = EvalContext.build(
        data.n_users, data.n_items,
        eval_pairs=(data.user[valid_rows], data.item[valid_rows]),
        history_pairs=(data.user[train_rows], data.item[train_rows]),
        train_items=data.item[train_rows], train_users=data.user[train_rows],
        ks=[int(k)], metrics=(metric,), device=device,
    )
    column = f"{metric}@{int(k)}"
    return lambda score_fn: float(evaluate(score_fn, ctx, batch_size)[column].mean())
