"""Same-user baselines: every group measure compares the same users at p and at p = 0.

At participation p a group (participants, non-participants, all users of a view) is a set of
users G(p, seed). Its baseline for a model b is the mean over exactly those users of b's value at
p = 0, with the same study, dataset, company, view and seed:

    B_b(g, p, s) = mean_{u in G(p, s)} h_u^b(0, s)

(h_u^b(0, s) pooled over levers and selectors, which are all the same experiment at p = 0; a model
with no p = 0 run for seed s, e.g. a deterministic reference run once, uses its mean over seeds
for that user). Participant draws are shared by every model, so G(p, s) is read from the rows of
all models at p; a user flagged as a participant for one model and not for another is an error.

The results table carries these baselines as optional columns ``p0:<model>``
(:func:`with_group_baselines`). The measures use them as M(0) (``p0:<own model>``), as M_ref and as
the back-in-time levels. Without them, only group ``all`` has a baseline (the p = 0 rows, which
are the same users in the holdout view); participants and non-participants are then undefined,
never compared with a different set of users.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from strikebench.analysis.table import (
    BASELINE_PREFIX, KEYS, PARTICIPANT, SEED, USER, VALUE, ResultsTableError, as_per_user, per_user_metrics,
    validate_results_table,
)

#: Keys that fix a group's users: a cell without its model (draws are shared by every model).
MEMBER_KEYS: tuple[str, ...] = ("study", "dataset", "lever", "selector", "company", "view", "participation", SEED)
#: Keys on which a p = 0 run is the same experiment, whatever its lever and selector.
FULL_DATA_KEYS: tuple[str, ...] = ("study", "dataset", "company", "view", "model")
#: Keys that tie a row to a reference model's full-data value (pooled over levers and selectors).
REFERENCE_KEYS: tuple[str, ...] = ("study", "dataset", "view", "group", "metric")
GROUP_MEMBERS = {"all": None, "participants": True, "non_participants": False}
REASON_NO_SAME_USERS = "no same-user baseline (needs the per-user table)"
_P_DIGITS = 12


def baseline_column(model: str) -> str:
    """The column holding ``model``'s same-user value at p = 0, e.g. ``p0:Pop``."""
    return f"{BASELINE_PREFIX}{model}"


def _members(pu: pd.DataFrame) -> pd.DataFrame:
    members = pu[list(MEMBER_KEYS) + [USER, PARTICIPANT]].drop_duplicates()
    clash = members.duplicated(list(MEMBER_KEYS) + [USER], keep=False)
    if clash.any():
        row = members[clash].iloc[0]
        where = ", ".join(f"{k}={row[k]}" for k in MEMBER_KEYS)
        raise ResultsTableError(PARTICIPANT, f"user {row[USER]!r} is a participant for one model and not for "
                                             f"another ({where}); participant draws must be shared by every model")
    return members


def group_baselines(per_user: pd.DataFrame, metrics: Iterable[str] | None = None) -> pd.DataFrame:
    """B_b(g, p, s) for every group's users at every participation and every model b with p = 0 rows.

    ``per_user``: the per-user table (docs/results-table.md); ``metrics``: its metric columns
    (default: every ``name@k`` column). Returns ``MEMBER_KEYS + [group, metric, model, value,
    n_users]`` (long; ``model`` is the baseline model b, ``value`` its p = 0 mean over the group's
    users at ``participation``, ``n_users`` how many of them have a p = 0 value).
    """
    pu = as_per_user(per_user, metrics)
    metrics = list(metrics) if metrics is not None else per_user_metrics(pu)
    full = pu[np.abs(pu["participation"].to_numpy(float)) <= 10.0 ** -_P_DIGITS]
    same_seed = full.groupby(list(FULL_DATA_KEYS) + [SEED, USER], dropna=False)[metrics].mean().reset_index()
    any_seed = full.groupby(list(FULL_DATA_KEYS) + [USER], dropna=False)[metrics].mean().reset_index()
    members = _members(pu)
    models = full[list(FULL_DATA_KEYS)].drop_duplicates()
    on = [k for k in FULL_DATA_KEYS if k != "model"]
    pairs = members.merge(models, on=on, how="inner")
    h0 = pairs.merge(same_seed, on=list(FULL_DATA_KEYS) + [SEED, USER], how="left")
    fallback = pairs.merge(any_seed, on=list(FULL_DATA_KEYS) + [USER], how="left")
    h0[metrics] = h0[metrics].fillna(fallback[metrics])  # same row order: both are left merges of pairs
    frames = []
    for group, flag in GROUP_MEMBERS.items():
        rows = h0 if flag is None else h0[h0[PARTICIPANT] == flag]
        long = rows.melt(id_vars=list(MEMBER_KEYS) + ["model", USER], value_vars=metrics,
                         var_name="metric", value_name="value")
        agg = long.groupby(list(MEMBER_KEYS) + ["model", "metric"], dropna=False)["value"].agg(
            value="mean", n_users="count").reset_index()
        frames.append(agg.assign(group=group))
    out = pd.concat(frames, ignore_index=True)
    out["metric"] = out["metric"].str.lower()
    return out[list(MEMBER_KEYS) + ["group", "metric", "model", "value", "n_users"]]


def with_group_baselines(table: pd.DataFrame, per_user: pd.DataFrame) -> pd.DataFrame:
    """The results table with a column ``p0:<model>`` per model that ran at p = 0 (replacing any).

    Each row gets, for every such model, its same-user baseline B_b(group, p, seed) from
    :func:`group_baselines` (NaN where the per-user table has no such cell). The measures then
    compare every group with the same users at p = 0.
    """
    if not (isinstance(table, pd.DataFrame) and set(KEYS) | {VALUE} <= set(table.columns)):
        table = validate_results_table(table)
    table = table.drop(columns=[c for c in table.columns if str(c).startswith(BASELINE_PREFIX)])
    pu = as_per_user(per_user)
    metrics = sorted(set(table["metric"]) & set(per_user_metrics(pu)))
    if not metrics:
        raise ResultsTableError("metric", f"the per-user table has none of the table's metrics "
                                          f"({', '.join(sorted(set(table['metric'])))})")
    long = group_baselines(pu, metrics)
    on = [k for k in MEMBER_KEYS if k != "participation"] + ["group", "metric", "_p"]
    long["_p"] = long["participation"].round(_P_DIGITS)
    wide = long.set_index(on + ["model"])["value"].unstack("model")
    wide.columns = [baseline_column(m) for m in wide.columns]
    rows = table.assign(_p=table["participation"].round(_P_DIGITS))
    return rows.merge(wide.reset_index(), on=on, how="left").drop(columns="_p")


def same_user_values(rows: pd.DataFrame, model: str | pd.Series | None = None) -> np.ndarray:
    """Per row, the ``p0:`` baseline of ``model`` (a name, a per-row Series, or None: the row's
    own model); NaN where the table has no such column or value."""
    names = rows["model"] if model is None else model
    if isinstance(names, str):
        column = baseline_column(names)
        return rows[column].to_numpy(float) if column in rows.columns else np.full(len(rows), np.nan)
    names = pd.Series(np.asarray(names), index=rows.index)
    out = np.full(len(rows), np.nan)
    for name in pd.unique(names):
        column = baseline_column(name)
        if column in rows.columns:
            hit = (names == name).to_numpy()
            out[hit] = rows.loc[hit, column].to_numpy(float)
    return out


def baseline_or_full_data(rows: pd.DataFrame, same_users: np.ndarray, full_data: np.ndarray) -> np.ndarray:
    """The same-user baseline where there is one; else the p = 0 rows' value, but only for group
    ``all`` (the same users in the holdout view); else NaN."""
    everyone = (rows["group"] == "all").to_numpy()
    fallback = np.where(everyone, np.asarray(full_data, dtype=float), np.nan)
    same_users = np.asarray(same_users, dtype=float)
    return np.where(np.isfinite(same_users), same_users, fallback)


__all__ = [
    "GROUP_MEMBERS", "MEMBER_KEYS", "REASON_NO_SAME_USERS", "REFERENCE_KEYS", "baseline_column",
    "baseline_or_full_data",
    "group_baselines", "same_user_values", "with_group_baselines",
]
