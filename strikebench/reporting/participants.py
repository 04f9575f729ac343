"""What a lever did to its participants, read from the results (not from the lever's name), for
the titles of figure panels: do the companies still hold training data for them?

The company view holds the test users a company has training data for, so the participants
of a cell in the company view are those it still holds data for; in the holdout view, all of them.
"""
from __future__ import annotations

import pandas as pd

from strikebench.analysis.aggregate import is_full_data

GROUP_TITLES = {"all": "all users", "participants": "participants", "non_participants": "non-participants"}
NO_DATA_LEFT = "participants (no training data left: popularity)"
WHY_NO_DATA = "no participant has training data left,\nso each is ranked by popularity"


def participants_left(rows: pd.DataFrame) -> tuple[int, int]:
    """(participants the incumbent still holds training data for, all participants), summed over
    the cells with p > 0 among ``rows`` (long-table rows with ``n_users``; any metric)."""
    rows = rows[(rows["company"] == "incumbent") & (rows["group"] == "participants")
                & ~is_full_data(rows["participation"])]
    if "n_users" not in rows.columns or rows.empty:
        return 0, 0
    keys = [k for k in ("cell_key", "seed", "model", "lever", "selector", "participation") if k in rows.columns]
    counts = rows.drop_duplicates(keys + ["view"]).groupby("view")["n_users"].sum()
    return int(counts.get("company", 0)), int(counts.get("holdout", 0))


def group_titles(rows: pd.DataFrame) -> tuple[dict[str, str], str]:
    """(panel title per group, why the participants' curves would coincide or "")."""
    held, total = participants_left(rows)
    title, why = GROUP_TITLES["participants"], ""
    if total and held == 0:
        title, why = NO_DATA_LEFT, WHY_NO_DATA
    elif total and held == total:
        title = "participants (all keep some training data)"
    elif total:
        title = f"participants ({1 - held / total:.0%} with no training data left)"
    return {**GROUP_TITLES, "participants": title}, why


__all__ = ["GROUP_TITLES", "NO_DATA_LEFT", "group_titles", "participants_left"]
