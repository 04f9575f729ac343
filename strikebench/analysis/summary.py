"""Every measure of a results table at once, per study (``strikebench analyse``).

:func:`analyse` runs, on the incumbent's rows of each study: the loss share L(p) at every
measured p, the participation at which L reaches 0.25 / 0.5 / 0.75, and back in time to each
other model that ran on full data; and - when the table has transfer levers - DLP over all users
of each view, with its "achieves at" table. The reference model's own rows are left out (its L
is undefined by definition), and so are participants / non-participants rows without same-user
baselines (with a note). The result is a JSON-ready dict (NaN -> None);
``summary_text.format_text`` prints it.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from strikebench.analysis.aggregate import as_results_table, is_full_data
from strikebench.analysis.back_in_time import back_in_time
from strikebench.analysis.baselines import REASON_NO_SAME_USERS
from strikebench.analysis.dlp import VARIANTS, DLPOptions, data_leverage_power, participation_for_dlp, variant_of
from strikebench.analysis.gap import REFERENCE_MODEL, LossShareOptions, loss_share
from strikebench.analysis.studies import split_studies
from strikebench.analysis.table import load_results_table
from strikebench.analysis.thresholds import LEVELS, participation_thresholds

#: Columns of each measure in the output (the study is the section's own key).
CURVE = ["dataset", "model", "lever", "selector", "view", "group", "metric"]
ESTIMATE = ["ci_low", "ci_high", "n_seeds", "method", "reason"]
COLUMNS = {
    "loss_share": CURVE + ["participation", "loss_share"] + ESTIMATE,
    "thresholds": CURVE + ["level", "participation"] + ESTIMATE,
    "back_in_time": CURVE + ["reference_model", "reference_value", "participation"] + ESTIMATE,
    "dlp": CURVE + ["variant", "participation", "dlp", "worst", "best"] + ESTIMATE,
    "dlp_achieves_at": CURVE + ["variant", "rule", "level", "participation"] + ESTIMATE,
}
TRANSFER_VARIANTS = ("transfer", "transfer+strike")


def _records(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict]:
    """Rows as plain dicts: NaN -> None, numpy scalars -> Python numbers."""
    out = []
    for row in frame[list(columns)].itertuples(index=False):
        entry = {}
        for name, value in zip(columns, row):
            if isinstance(value, (np.floating, float)):
                value = None if np.isnan(value) else float(value)
            elif isinstance(value, np.integer):
                value = int(value)
            elif isinstance(value, np.bool_):
                value = bool(value)
            entry[name] = value
        out.append(entry)
    return out


def _leave_out_groups(frame: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Drop the group rows that have no same-user baseline, and say so once."""
    missing = frame["reason"] == REASON_NO_SAME_USERS
    if missing.any():
        groups = ", ".join(sorted(frame.loc[missing, "group"].unique()))
        note = (f"left out {groups}: they need the same users' p = 0 values (p0:<model> columns, "
                "strikebench.analysis.with_group_baselines), never everyone's")
        if note not in notes:
            notes.append(note)
    return frame[~missing]


def _has_transfer(table: pd.DataFrame) -> bool:
    return any(variant_of(lever, VARIANTS) in TRANSFER_VARIANTS for lever in table["lever"].unique())


def _study(table: pd.DataFrame, reference: str, dlp_options: DLPOptions) -> dict:
    notes: list[str] = []
    incumbent = table[table["company"] == "incumbent"]
    full = incumbent[is_full_data(incumbent["participation"])]
    out = {"reference_model": reference, "models_on_full_data": sorted(set(full["model"])), "loss_share": [],
           "thresholds": [], "back_in_time": [], "dlp": [], "dlp_achieves_at": [], "notes": notes}
    if _has_transfer(table):
        everyone = table[table["group"] == "all"]  # DLP as published: all users of each view
        dlp = data_leverage_power(everyone, dlp_options)
        achieves = participation_for_dlp(everyone, options=dlp_options)
        out["dlp"] = _records(dlp[dlp["model"] != reference], COLUMNS["dlp"])
        out["dlp_achieves_at"] = _records(achieves[achieves["model"] != reference], COLUMNS["dlp_achieves_at"])
    if incumbent.empty:
        notes.append("no incumbent rows: no loss share, thresholds or back in time")
        return out
    if reference not in set(full["model"]):
        notes.append(f"no reference model {reference!r} on full data: loss shares are undefined "
                     f"(name one with --reference; models on full data: {', '.join(sorted(set(full['model'])))})")
    options = LossShareOptions(reference_model=reference)
    loss = loss_share(incumbent, options)
    loss = _leave_out_groups(loss[(loss["participation"] > 0) & (loss["model"] != reference)], notes)
    thresholds = participation_thresholds(incumbent, LEVELS, options=options)
    thresholds = _leave_out_groups(thresholds[thresholds["model"] != reference], notes)
    bit = back_in_time(incumbent, sorted(set(full["model"])))
    bit = _leave_out_groups(bit[bit["model"] != bit["reference_model"]], notes)
    out.update(loss_share=_records(loss, COLUMNS["loss_share"]),
               thresholds=_records(thresholds, COLUMNS["thresholds"]),
               back_in_time=_records(bit, COLUMNS["back_in_time"]))
    return out


def analyse(table: pd.DataFrame | str | Path, reference: str | None = None, worst: float | None = None,
            best: float | None = None) -> dict:
    """The measures of ``table`` (a results table, or the path of a CSV / Parquet one), per study.

    ``reference``: the model of the personalisation gap (default ``"Pop"``); ``worst`` / ``best``:
    DLP's scale (default: the worst / best values observed in each study). Returns ``{"reference_model",
    "dlp_worst", "dlp_best", "studies": [{"study", "reference_model", "models_on_full_data",
    "loss_share", "thresholds", "back_in_time", "dlp", "dlp_achieves_at", "notes"}]}``, each measure
    a list of rows (``COLUMNS``) with NaN as None.
    """
    table = load_results_table(table) if isinstance(table, (str, Path)) else as_results_table(table)
    reference = reference or REFERENCE_MODEL
    dlp_options = DLPOptions(worst=worst, best=best)
    studies = [{"study": study, **_study(rows, reference, dlp_options)} for study, rows in split_studies(table)]
    return {"reference_model": reference, "dlp_worst": worst, "dlp_best": best, "studies": studies}


__all__ = ["COLUMNS", "analyse"]
