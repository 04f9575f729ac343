"""Repeated user-item interactions: counted, and removed only as RecBole's ``rm_dup_inter`` says.

RecBole keeps every row by default (``rm_dup_inter: null``); ``first`` or ``last`` keeps one row
per user-item pair (after sorting by time when there is a time field). Repeats count in the
split and the metrics like any other row, so every row duplicated halves NDCG@10: the count is
reported once per load (a warning) and in each record's ``dataset.duplicate_interactions``.
The setting is checked with the dataset's config (``strikebench.datasets.registry.check_source``).
"""
from __future__ import annotations

import logging

import numpy as np

log = logging.getLogger(__name__)


def repeated_rows(user: np.ndarray, item: np.ndarray) -> int:
    """Rows whose (user, item) pair an earlier row already has. Sorted, not ``np.unique``: numpy 2's
    hash-based unique takes a minute on 20M pairs, a sort a few seconds."""
    if len(user) < 2:
        return 0
    pairs = np.sort(np.asarray(user, dtype=np.int64) * (int(np.max(item)) + 1) + np.asarray(item, dtype=np.int64))
    return int(np.count_nonzero(pairs[1:] == pairs[:-1]))


def duplicate_interactions(dataset, user: np.ndarray, item: np.ndarray, setting) -> dict:
    """``{"found", "removed", "rm_dup_inter"}`` for a dataset RecBole loaded (``removed`` is counted
    by the shim in strikebench.compat; after a removal no pair repeats)."""
    removed = int(getattr(dataset, "removed_duplicates", 0))
    kept = repeated_rows(user, item) if setting is None else 0
    return {"found": removed + kept, "removed": removed, "rm_dup_inter": setting}


def warn_duplicates(name: str, duplicates: dict | None) -> None:
    """One warning line when the dataset has repeated user-item rows, kept or removed."""
    if not duplicates or not duplicates.get("found"):
        return
    found, removed = duplicates["found"], duplicates["removed"]
    if removed:
        log.warning("dataset %r: removed %d rows repeating a user-item pair (dataset.recbole.rm_dup_inter: %s)",
                    name, removed, duplicates["rm_dup_inter"])
    else:
        log.warning("dataset %r: kept %d rows repeating a user-item pair, as RecBole does by default; "
                    "dataset.recbole.rm_dup_inter=first or last removes them", name, found)
