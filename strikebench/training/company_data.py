"""A company's data as RecBole holds it: the shared dataset with the company's items and rows.

Every company shares one loaded dataset; what differs is which rows it holds and, after
poisoning, which item some rows point at. These build the company's copies without reading
anything again.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import torch

from strikebench.data.interactions import InteractionData


def company_data(data: InteractionData, rewritten_rows: np.ndarray, new_items: np.ndarray) -> InteractionData:
    """The dataset as a company holds it: ``rewritten_rows`` (poisoned) point at ``new_items``.

    Only the item column changes (in the arrays and in RecBole's interaction table), so the
    training and evaluation code is the same for every company. Without rewrites: ``data``.
    """
    if len(rewritten_rows) == 0:
        return data
    from recbole.data.interaction import Interaction

    item = np.array(data.item, copy=True)
    item[rewritten_rows] = new_items
    dataset = data.recbole_dataset
    columns = dict(dataset.inter_feat.interaction)
    columns[dataset.iid_field] = torch.as_tensor(item, dtype=columns[dataset.iid_field].dtype)
    return dataclasses.replace(data, item=item, recbole_dataset=dataset.copy(Interaction(columns)))


def company_dataset(data: InteractionData, rows: np.ndarray):
    """A RecBole Dataset holding only ``rows``: same users, items and id maps as the full one."""
    dataset = data.recbole_dataset
    return dataset.copy(interaction_rows(dataset.inter_feat, rows))


def interaction_rows(interaction, rows: np.ndarray):
    """``interaction[rows]``, column by column: RecBole's Interaction.__getitem__ turns a tensor
    index into a Python list first, 1.2 s of the per-cell setup at 4M rows."""
    from recbole.data.interaction import Interaction

    index = torch.as_tensor(np.ascontiguousarray(rows, dtype=np.int64))  # a reversed view works too
    return Interaction({k: v[index] for k, v in interaction.interaction.items()})
