"""The cells of a stacked group: each company's own data, seed and validation, and the RecBole
model and fast loader built for it exactly as one cell trained alone builds them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from strikebench import compat
from strikebench.data.interactions import InteractionData

ScoreFn = Callable[[torch.Tensor], torch.Tensor]  # user ids [B] -> scores [B, n_items]
Validate = Callable[[ScoreFn], float]  # score function -> the monitored metric on the valid rows


@dataclass(eq=False)
class StackMember:
    """One company of one cell, trained in a group.

    ``key``: unique in the group (e.g. ``"<cell key>/<company>"``); ``data``: the dataset as the
    company holds it (poisoned rows rewritten); ``seed``: its model initialisation and batch
    order; ``validate``: its monitored metric (``trainer.monitor``) of a score function on
    ``valid_rows``, as for one cell; None (or no valid rows): no early stopping, the weights
    after ``trainer.max_epochs``.
    """

    key: str
    data: InteractionData
    train_rows: np.ndarray
    valid_rows: np.ndarray
    seed: int
    validate: Validate | None = None

    @property
    def validates(self) -> bool:
        return self.validate is not None and len(self.valid_rows) > 0


def check_members(members) -> None:
    """Stop before any training on a group that cannot train."""
    if not members:
        raise ValueError("a stacked group needs at least one cell")
    keys = [m.key for m in members]
    if len(set(keys)) != len(keys):
        raise ValueError(f"the cells of a stacked group need distinct keys, got {keys}")
    first = members[0].data
    for member in members:
        if len(member.train_rows) == 0:
            raise ValueError(f"cell {member.key} has no training rows: it cannot train")
        if (member.data.n_users, member.data.n_items) != (first.n_users, first.n_items):
            raise ValueError(f"cell {member.key} has {member.data.n_users} users and {member.data.n_items} items, "
                             f"the group's first cell {first.n_users} and {first.n_items}: one dataset a group")


def build_cell(config, model_name: str, member: StackMember):
    """(RecBole model, fast loader) of ``member``, as fit_company builds them for one cell:
    the loader's generator from the cell's seed, the model's weights under ``init_seed(seed)``."""
    from recbole.utils import init_seed

    from strikebench.training.fast import company as fast_company

    config["seed"] = int(member.seed)  # the fast loader's generator
    init_seed(int(member.seed), True)
    dataset, loader = fast_company.train_loader(config, member.data, np.asarray(member.train_rows, dtype=np.int64))
    model = compat.model_class(model_name)(config, dataset).to(config["device"])
    if len(list(model.buffers())):
        raise ValueError(f"{model_name} keeps buffers, which a stacked group does not carry")
    return model, loader


def load_weights(model: torch.nn.Module, stacked: dict[str, torch.Tensor], row: int) -> None:
    """Copy row ``row`` of stacked parameters into ``model``."""
    with torch.no_grad():
        for name, param in model.named_parameters():
            param.copy_(stacked[name][row])
