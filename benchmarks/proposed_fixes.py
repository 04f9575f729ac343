"""Two one-line changes outside the fast path, measured here before anyone makes them.

The per-cell setup profile (``sb.cell_setup.parts_seconds``) is dominated by two calls:
- ``CompanyView.without`` (strikebench/levers/state.py) removes rows through ``minus``, which
  still calls ``np.unique`` on the kept side; numpy 2.4's ``np.unique`` goes through a hash
  table (5 s on 3.2M sorted rows here, where a sort-based de-duplication takes 0.3 s and
  checking that the rows are already sorted and unique 1 ms). Train and valid rows are sorted
  and unique already, so they are used as they are when the check says so;
- ``company_dataset`` (strikebench/training/recbole_bridge.py) indexes RecBole's Interaction
  with a tensor, which RecBole turns into a Python list first (``Interaction.__getitem__``);
  indexing each column with the tensor gives the same Dataset.

``applied()`` swaps both in for the duration of a ``with`` block; the benchmark checks that
the results are identical before reporting the time.
"""
from __future__ import annotations

import contextlib
from dataclasses import replace

import numpy as np
import torch


def sorted_unique(rows: np.ndarray) -> np.ndarray:
    """np.unique(rows) without numpy 2's hash table: nothing to do when already sorted and unique."""
    rows = np.asarray(rows)
    if len(rows) < 2 or bool(np.all(rows[1:] > rows[:-1])):
        return rows
    rows = np.sort(rows)
    return rows[np.concatenate([[True], rows[1:] != rows[:-1]])]


def minus(rows, removed):
    rows = sorted_unique(rows)
    return rows[~np.isin(rows, removed)]


def without(self, rows):
    keep = ~np.isin(self.rewritten_rows, rows)
    return replace(self, train=minus(self.train, rows), valid=minus(self.valid, rows),
                   rewritten_rows=self.rewritten_rows[keep], new_items=self.new_items[keep])


def company_dataset(data, rows):
    from recbole.data.interaction import Interaction

    dataset = data.recbole_dataset
    index = torch.as_tensor(np.asarray(rows), dtype=torch.long)
    return dataset.copy(Interaction({k: v[index] for k, v in dataset.inter_feat.interaction.items()}))


@contextlib.contextmanager
def applied():
    from strikebench.levers.state import CompanyView
    from strikebench.training import recbole_bridge

    saved = CompanyView.without, recbole_bridge.company_dataset
    CompanyView.without, recbole_bridge.company_dataset = without, company_dataset
    try:
        yield
    finally:
        CompanyView.without, recbole_bridge.company_dataset = saved
