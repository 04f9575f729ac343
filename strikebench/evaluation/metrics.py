"""Per-user top-k metrics, defined exactly as RecBole's (recbole.evaluator.metrics)."""
from __future__ import annotations

import torch

METRICS = ("ndcg", "recall", "hit", "mrr", "precision")


def user_metrics(hits: torch.Tensor, n_pos: torch.Tensor, ks: list[int], metrics=METRICS) -> dict[str, torch.Tensor]:
    """Metrics per user from ``hits`` [users, K] (True where the i-th item is a test positive).

    ``n_pos`` is each user's number of test positives. Returns ``{"ndcg@10": tensor[users]}``.
    """
    hits = hits.double()
    n_pos = n_pos.double()
    width = hits.shape[1]
    rank = torch.arange(1, width + 1, dtype=torch.float64, device=hits.device)
    gain = 1.0 / torch.log2(rank + 1.0)
    cum_hits = torch.cumsum(hits, dim=1)
    dcg = torch.cumsum(hits * gain, dim=1)
    ideal = torch.cumsum(gain, dim=0)
    first_hit = torch.where(hits.any(dim=1), hits.argmax(dim=1), torch.full_like(n_pos, width, dtype=torch.long))

    out = {}
    for k in ks:
        if k > width:
            raise ValueError(f"k={k} is larger than the ranked list ({width})")
        found = cum_hits[:, k - 1]
        for metric in metrics:
            if metric == "hit":
                value = (found > 0).double()
            elif metric == "precision":
                value = found / k
            elif metric == "recall":
                value = found / n_pos
            elif metric == "mrr":
                value = torch.where(first_hit < k, 1.0 / (first_hit.double() + 1.0), torch.zeros_like(found))
            elif metric == "ndcg":
                ideal_len = torch.clamp(n_pos, max=k).long()
                value = dcg[:, k - 1] / ideal[ideal_len - 1]
            else:
                raise ValueError(f"unknown metric {metric!r}")
            out[f"{metric}@{k}"] = value
    return out
