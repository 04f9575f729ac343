"""Item categories from the dataset's item features, e.g. ML-100K's genres (field ``class``)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from strikebench.errors import ConfigError
from strikebench.levers.base import Where


def feature_column(table: pd.DataFrame | None, field: str, where: str | Where, kind: str) -> pd.Series:
    """One column of a user or item feature table, or a ConfigError naming ``<where>.field``."""
    at = Where.of(where).field
    if table is None or table.shape[1] == 0:
        raise ConfigError(at("field"), f"the dataset has no {kind} features to find {field!r} in",
                          f"add the column to dataset.recbole.load_col.{kind}")
    if field not in table.columns:
        raise ConfigError(at("field"), f"unknown {kind} feature {field!r}", ", ".join(map(str, table.columns)))
    return table[field]


def tokens_of(column: pd.Series) -> list[list[str]]:
    """Each row's tokens: one for a token field, several for a token_seq field (e.g. genres)."""
    return [list(map(str, v)) if isinstance(v, (list, tuple, np.ndarray)) else [str(v)] for v in column.to_numpy()]


def matching(column: pd.Series, wanted: list[str], where: str | Where, kind: str) -> np.ndarray:
    """Bool per row: does it carry any of ``wanted``? Unknown values are a ConfigError."""
    rows = tokens_of(column)
    seen = {t for r in rows for t in r if t != "[PAD]"}
    unknown = [w for w in wanted if w not in seen]
    if unknown:
        shown = sorted(seen)
        hint = ", ".join(shown[:40]) + (", ..." if len(shown) > 40 else "")
        raise ConfigError(Where.of(where).field("value"), f"no {kind} has {column.name}={unknown[0]!r}", hint)
    wanted_set = set(wanted)
    return np.fromiter((bool(wanted_set.intersection(r)) for r in rows), dtype=bool, count=len(rows))


def category_items(item_features: pd.DataFrame | None, n_items: int, field: str, values: list[str], where: str | Where) -> np.ndarray:
    """Bool [n_items]: the items of the category ``field`` in ``values`` (any of them)."""
    column = feature_column(item_features, field, where, "item")
    hit = matching(column, values, where, "item")
    out = np.zeros(n_items, dtype=bool)
    out[column.index.to_numpy(np.int64)] = hit
    out[0] = False  # RecBole's padding item
    return out


def category_name(field: str, values: list[str]) -> str:
    return f"{field}={'|'.join(values)}"
