"""Top-k lists with strikebench's ranking rules, computed in torch on any device.

Rules (DESIGN.md rule 4): items the user had in the company's train/valid are never ranked;
items with no interaction in the company's training data rank after all known items; ties
break by item index (smaller first). Item 0 is RecBole's padding item and is never ranked.
"""
from __future__ import annotations

import torch

UNKNOWN_ITEM_SCORE = -1e30  # below any model score, above the -inf of masked items


def ranking_keys(scores: torch.Tensor, history: torch.Tensor, known_items: torch.Tensor) -> torch.Tensor:
    """Scores turned into sort keys: unknown items demoted, history and padding masked."""
    keys = scores.float().masked_fill(~known_items.unsqueeze(0), UNKNOWN_ITEM_SCORE)
    keys = keys.masked_fill(history, float("-inf"))
    keys[:, 0] = float("-inf")
    return keys


def top_k(keys: torch.Tensor, k: int) -> torch.Tensor:
    """Indices of the k largest keys per row, ties broken by the smaller index.

    torch.topk alone orders ties arbitrarily. Everything above the k-th value is in; among
    items equal to it, the smallest indices fill the remaining places; then the k chosen
    items are sorted stably by key.
    """
    k = min(k, keys.shape[1])
    kth = torch.topk(keys, k, dim=1).values[:, -1:]
    above = keys > kth
    tied = keys == kth
    room = k - above.sum(dim=1, keepdim=True)
    chosen = above | (tied & (torch.cumsum(tied.int(), dim=1) <= room))
    index = chosen.nonzero()[:, 1].view(keys.shape[0], k)  # ascending item index per row
    order = torch.sort(keys.gather(1, index), dim=1, descending=True, stable=True).indices
    return index.gather(1, order)
