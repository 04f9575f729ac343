"""Reference training loops without Lightning, for the benchmarks (not part of the package).

- ``train_epoch``: a RecBole model fed by a fast loader, plain PyTorch (what Lightning adds on
  top of this is its per-step overhead).
- ``PlainBPR`` + ``plain_bpr_epoch``: matrix factorisation with the BPR loss written directly in
  torch on index tensors, no RecBole model and no Interaction: the floor a GPU-resident loop
  reaches, the "plain loop" the issue compares against.
"""
from __future__ import annotations

import torch
from torch import nn

from strikebench.training.fast.negatives import UniformNegativeSampler


def train_epoch(model, loader, optimizer) -> torch.Tensor:
    """One pass of ``model.calculate_loss`` over ``loader``; the summed loss (one sync, at the end)."""
    model.train()
    total = torch.zeros((), device=next(model.parameters()).device)
    for batch in loader:
        optimizer.zero_grad(set_to_none=True)
        loss = model.calculate_loss(batch)
        if isinstance(loss, tuple):
            loss = sum(loss)
        loss.backward()
        optimizer.step()
        total += loss.detach().sum()
    return total


class PlainBPR(nn.Module):
    """User and item embeddings scored by a dot product; RecBole BPR's shapes and initialisation."""

    def __init__(self, n_users: int, n_items: int, dim: int = 64):
        super().__init__()
        self.user = nn.Embedding(n_users, dim)
        self.item = nn.Embedding(n_items, dim)
        nn.init.xavier_normal_(self.user.weight)
        nn.init.xavier_normal_(self.item.weight)

    def loss(self, users, items, negatives):
        u = self.user(users)
        diff = (u * self.item(items)).sum(-1) - (u * self.item(negatives)).sum(-1)
        return -torch.log(1e-10 + torch.sigmoid(diff)).mean()  # RecBole's BPRLoss


def plain_bpr_epoch(model: PlainBPR, optimizer, users: torch.Tensor, items: torch.Tensor,
                    sampler: UniformNegativeSampler, batch_size: int, generator: torch.Generator) -> torch.Tensor:
    """One epoch: one randperm, one negative draw, then slices. Tensors on the model's device."""
    order = torch.randperm(len(users), generator=generator, device=users.device)
    users, items = users[order], items[order]
    negatives = sampler.sample(users, 1, generator).view(-1)
    total = torch.zeros((), device=users.device)
    for start in range(0, len(users), batch_size):
        stop = start + batch_size
        optimizer.zero_grad(set_to_none=True)
        loss = model.loss(users[start:stop], items[start:stop], negatives[start:stop])
        loss.backward()
        optimizer.step()
        total += loss.detach().sum()
    return total
