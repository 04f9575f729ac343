"""Top-k lists with strikebench's ranking rules, computed in torch on any device.

Rules (docs/design.md rule 4): items the user had in the company's train/valid are never ranked;
items with no interaction in the company's training data rank after all known items; ties
break by item index (smaller first). Item 0 is RecBole's padding item and is never ranked.
"""
from __future__ import annotations

import torch

UNKNOWN_ITEM_SCORE = -1e30  # below any model score, above the -inf of masked items


def company_scores(score_fn, users: torch.Tensor, popularity: torch.Tensor,
                   has_training_data: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """The model's scores [B, n_items] for ``users``, and which of them fell back to popularity.

    Users the company holds no training data for (``has_training_data`` False) are scored by
    ``popularity``, the item counts in the company's training data; the model is not asked
    when every user of the batch falls back. ``has_training_data`` None: every user is known.
    """
    if has_training_data is None:
        fallback = torch.zeros(len(users), dtype=torch.bool, device=popularity.device)
    else:
        fallback = ~has_training_data[users]
    if bool(fallback.all()):
        return popularity.expand(len(users), -1), fallback
    scores = score_fn(users).to(popularity.device).view(len(users), -1).float()
    if not bool(fallback.any()):  # the common case: no copy of the score matrix
        return scores, fallback
    return torch.where(fallback.unsqueeze(1), popularity.unsqueeze(0), scores), fallback


def ranking_keys(scores: torch.Tensor, history, known_items: torch.Tensor, in_place: bool = False) -> torch.Tensor:
    """Scores turned into sort keys: unknown items demoted, history and padding masked.

    ``history``: a bool mask like ``scores``, or (rows, items) index pairs
    (``UserItems.pairs``), which mask without a dense mask. The keys are masked in place,
    column- and index-wise (a full pass of ``where`` or ``masked_fill`` costs several times more
    on a CPU): in a new float32 matrix, or, with ``in_place``, in ``scores`` itself when it is
    a contiguous float32 matrix that nobody else holds.
    """
    if in_place and scores.dtype == torch.float32 and scores.is_contiguous():
        keys = scores
    else:
        keys = scores.to(dtype=torch.float32, memory_format=torch.contiguous_format, copy=True)
    keys.index_fill_(1, torch.nonzero(~known_items).flatten(), UNKNOWN_ITEM_SCORE)
    if isinstance(history, tuple):
        rows, items = history
        keys.view(-1).index_fill_(0, rows * keys.shape[1] + items, float("-inf"))
    else:
        keys.masked_fill_(history, float("-inf"))
    keys[:, 0] = float("-inf")
    return keys


def top_k(keys: torch.Tensor, k: int) -> torch.Tensor:
    """Indices of the k largest keys per row, ties broken by the smaller index.

    torch.topk orders distinct keys and leaves ties in any order. Most rows of a trained model
    have no tie among their k + 1 largest keys and take topk's answer as it is; rows with a
    tie inside their top k are reordered by (key, index); rows with a tie across the cut (the
    k-th and (k+1)-th keys equal, e.g. popularity counts) take the exact path.
    """
    k = min(k, keys.shape[1])
    if k == keys.shape[1]:
        return _top_k_exact(keys, k)
    values, index = torch.topk(keys, k + 1, dim=1)
    out = index[:, :k]
    tied = values[:, :k] == values[:, 1:]  # [rows, k]: position j ties with j + 1
    if not bool(tied.any()):
        return out
    out = out.clone()
    straddling = tied[:, k - 1]
    within = tied[:, :k - 1].any(dim=1) & ~straddling
    if bool(within.any()):
        out[within] = _order_by_key_then_index(keys[within], out[within])
    if bool(straddling.any()):
        out[straddling] = _top_k_exact(keys[straddling], k)
    return out


def _order_by_key_then_index(keys: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    index = torch.sort(index, dim=1).values  # ascending item index, then a stable sort by key
    order = torch.sort(keys.gather(1, index), dim=1, descending=True, stable=True).indices
    return index.gather(1, order)


def _top_k_exact(keys: torch.Tensor, k: int) -> torch.Tensor:
    """Everything above the k-th value is in; among items equal to it, the smallest indices
    fill the remaining places; then the k chosen items are ordered by (key, index)."""
    kth = torch.topk(keys, k, dim=1).values[:, -1:]
    above = keys > kth
    tied = keys == kth
    room = k - above.sum(dim=1, keepdim=True)
    chosen = above | (tied & (torch.cumsum(tied.int(), dim=1) <= room))
    index = chosen.nonzero()[:, 1].view(keys.shape[0], k)  # ascending item index per row
    order = torch.sort(keys.gather(1, index), dim=1, descending=True, stable=True).indices
    return index.gather(1, order)
