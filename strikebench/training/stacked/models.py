"""Which RecBole models train stacked, and what each needs to run under ``torch.func.vmap``.

A stacked group runs RecBole's own ``calculate_loss`` once for K copies of a model with
``functional_call`` + ``vmap``: the parameters and the per-cell tensors a model keeps besides
them (MultiVAE's history matrix) carry a leading cell dimension. Only models checked to give
RecBole's loss and gradients this way are listed (tests/training/test_stacked.py); every other model
trains one cell at a time:

- graph models (LightGCN, NGCF, SGL): their propagation is a sparse matrix product built from
  each company's own graph, which vmap cannot batch;
- sequential models: their batches are sequences of varying length (and the fast batches do
  not cover them);
- traditional models (Pop, ItemKNN, EASE, ADMMSLIM): no gradient step, nothing to stack;
- models with several optimisers (RecVAE) or other sampling than uniform negatives.
"""
from __future__ import annotations

import copy
import types

import torch

from strikebench.training.fast.loader import unsupported_reason as fast_path_refusal

STACKABLE = ("BPR", "NeuMF", "MultiVAE", "MultiDAE")


def unsupported_reason(model_name: str, config=None) -> str | None:
    """Why cells of ``model_name`` cannot train stacked, or None when they can.

    ``config``: the RecBole Config of the cells, to check the sampling the fast batches reproduce.
    """
    if str(model_name) not in STACKABLE:
        return (f"{model_name} is not one of the models that train stacked ({', '.join(STACKABLE)}); "
                "it trains one cell at a time")
    return fast_path_refusal(config) if config is not None else None


def cell_tensors(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Tensors a model holds besides its parameters and buffers, by dotted name (MultiVAE's
    ``history_item_id`` and ``history_item_value``): built from each company's own data."""
    found = {}
    for prefix, module in model.named_modules():
        for name, value in vars(module).items():
            if torch.is_tensor(value) and name not in module._parameters and name not in module._buffers:
                found[f"{prefix}.{name}" if prefix else name] = value
    return found


def stack_cell_tensors(models) -> dict[str, torch.Tensor]:
    """Each per-cell tensor of ``models``, stacked on a new first dimension.

    Companies hold histories of different lengths: shorter ones are padded with zeros, which
    is RecBole's own padding in ``history_item_matrix`` (item 0, value 0).
    """
    per_model = [cell_tensors(m) for m in models]
    stacked = {}
    for name in per_model[0]:
        values = [tensors[name] for tensors in per_model]
        shape = [max(v.shape[d] for v in values) for d in range(values[0].dim())]
        padded = []
        for value in values:
            pad = [p for d in reversed(range(value.dim())) for p in (0, shape[d] - value.shape[d])]
            padded.append(torch.nn.functional.pad(value, pad) if any(pad) else value)
        stacked[name] = torch.stack(padded)
    return stacked


def rating_matrix(model, user: torch.Tensor) -> torch.Tensor:
    """RecBole's ``AutoEncoderMixin.get_rating_matrix`` out of place (vmap cannot write a
    per-cell history into a tensor shared by all cells): [B, n_items], the users' values."""
    history = model.history_item_id[user]
    zeros = torch.zeros(history.shape[0], model.n_items, device=history.device,
                        dtype=model.history_item_value.dtype)
    return zeros.scatter(1, history, model.history_item_value[user])


def stacking_template(model: torch.nn.Module) -> torch.nn.Module:
    """A copy of ``model`` whose loss runs under vmap: the module whose tensors are swapped."""
    from recbole.model.abstract_recommender import AutoEncoderMixin

    template = copy.deepcopy(model)
    if isinstance(template, AutoEncoderMixin):
        template.get_rating_matrix = types.MethodType(rating_matrix, template)
    return template


def counts_steps(template) -> bool:
    """MultiVAE anneals its KL term by the number of ``calculate_loss`` calls so far (``update``)."""
    return isinstance(getattr(template, "update", None), int)


def before_step(template, steps_taken: int) -> None:
    """Set the Python-side state a model's loss reads to the cells' own: MultiVAE's call count
    is the cell's optimiser steps so far (the same for every cell of a group step, since
    every cell goes through all users each epoch)."""
    template.update = int(steps_taken)
