"""Rebuild every company's train and valid data from the fixed split and the lever rows.

This is how a reviewer checks a record: export the split, read ``lever_rows.parquet`` (or the
in-memory changes) and replay the steps in order; the result must be the companies the cell
trained.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from strikebench.levers.state import CompanyView


def replay(train: np.ndarray, valid: np.ndarray, lever_rows: pd.DataFrame, new_item_ids=None) -> dict[str, CompanyView]:
    """Companies after applying ``lever_rows`` (columns step, company, change, part, row and,
    for rewrites, ``new_item``) to an incumbent that starts with the whole split.

    ``new_item_ids`` maps the ``new_item`` column to item ids (default: take it as ids).
    """
    companies = {"incumbent": CompanyView("incumbent", np.asarray(train), np.asarray(valid))}
    for (_, company), rows in lever_rows.groupby(["step", "company"], sort=True):
        view = companies.get(company) or CompanyView(company, np.zeros(0, np.int64), np.zeros(0, np.int64))
        for change, part_rows in rows.groupby("change", sort=False):
            train_rows = part_rows.loc[part_rows["part"] == "train", "row"].to_numpy(np.int64)
            valid_rows = part_rows.loc[part_rows["part"] == "valid", "row"].to_numpy(np.int64)
            if change == "removed":
                view = view.without(np.concatenate([train_rows, valid_rows]))
            elif change == "added":
                view = view.with_rows(train_rows, valid_rows)
            elif change == "rewritten":
                items = part_rows["new_item"].to_numpy()
                items = np.asarray(items if new_item_ids is None else [new_item_ids[i] for i in items], dtype=np.int64)
                view = view.rewritten(part_rows["row"].to_numpy(np.int64), items)
        companies[company] = view
    return companies
