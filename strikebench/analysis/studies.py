"""One study per comparison.

A *study* is everything that makes two numbers comparable: the dataset and its content, its
filtering, the split and the evaluation protocol. The results table names it in the key column
``study`` (default ``"study"``: an external table is one study). Every measure keys on it, so
baselines (p = 0, the reference model, worst / best) come from the row's own study; a function
that must see a single study (a leaderboard, a summary) calls :func:`require_one_study`.
"""
from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from strikebench.analysis.table import DEFAULTS, STUDY, ResultsTableError


def studies_of(table: pd.DataFrame) -> list[str]:
    """The studies a table holds, sorted; a table without a ``study`` column holds the default one."""
    if STUDY not in table.columns:
        return [str(DEFAULTS[STUDY])]
    return sorted(str(s) for s in pd.unique(table[STUDY].dropna()))


def split_studies(table: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
    """(study, its rows) for every study of ``table``, in sorted order."""
    if STUDY not in table.columns:
        yield str(DEFAULTS[STUDY]), table
        return
    for study in studies_of(table):
        yield study, table[table[STUDY] == study]


def require_one_study(table: pd.DataFrame, what: str) -> str:
    """The table's only study; a :class:`ResultsTableError` naming every study when it holds several.

    ``what`` names the caller in the message, e.g. ``"a leaderboard"``.
    """
    found = studies_of(table)
    if len(found) > 1:
        raise ResultsTableError(
            STUDY, f"{what} compares rows of one study only, but the table holds {len(found)}: "
                   f"{', '.join(found)} (select one, e.g. table[table['study'] == {found[0]!r}])")
    if not found:
        raise ResultsTableError(STUDY, f"{what}: the table has no rows")
    return found[0]


__all__ = ["require_one_study", "split_studies", "studies_of"]
