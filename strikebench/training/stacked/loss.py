"""RecBole's ``calculate_loss`` for every cell of a group step at once (``torch.func.vmap``)."""
from __future__ import annotations

import torch
from torch.func import functional_call, vmap

from strikebench.training.fast.loader import thin_interaction


class _Loss(torch.nn.Module):
    """The model's training loss as its forward, so that ``functional_call`` can run it."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, batch):
        loss = self.model.calculate_loss(batch)
        return sum(loss) if isinstance(loss, tuple) else loss  # some models return several terms


class StackedLoss:
    """Per-cell losses [cells] from stacked parameters, per-cell tensors and batch fields.

    ``template``: a model copy from ``models.stacking_template``, in train mode; each call
    swaps every cell's tensors into it. Dropout and sampling inside the loss draw independent
    randomness per cell (``randomness="different"``), from the global generator.
    """

    def __init__(self, template: torch.nn.Module):
        self.module = _Loss(template)
        self._losses = vmap(self._one, in_dims=(0, 0, 0), randomness="different")

    def _one(self, params: dict, tensors: dict, fields: dict) -> torch.Tensor:
        batch = thin_interaction(fields, next(iter(fields.values())).shape[0])
        named = {f"model.{name}": value for name, value in {**params, **tensors}.items()}
        return functional_call(self.module, named, (batch,))

    def __call__(self, params: dict, tensors: dict, fields: dict) -> torch.Tensor:
        return self._losses(params, tensors, fields)


def gradients(loss: StackedLoss, params: dict[str, torch.Tensor], tensors: dict, fields: dict):
    """(per-cell losses, gradients by name) for the cells whose parameters are ``params``.

    The cells' losses are independent, so the gradient of their sum is each cell's own
    gradient in its own rows.
    """
    leaves = {name: value.detach().requires_grad_() for name, value in params.items()}
    losses = loss(leaves, tensors, fields)
    grads = torch.autograd.grad(losses.sum(), list(leaves.values()), allow_unused=True)
    return losses.detach(), {name: (g if g is not None else torch.zeros_like(leaves[name]))
                             for name, g in zip(leaves, grads)}
