"""The report's frame: what the results hold and how to read the numbers (first), the studies
(one section each when there are several), and where the numbers come from (last)."""
from __future__ import annotations

import json

import pandas as pd

from strikebench.reporting.figure_kit import is_realised
from strikebench.reporting.formatting import participation
from strikebench.reporting.load import Results, Study


def overview(doc, results: Results, metric: str, settings: dict, studies: list[Study]) -> None:
    t = results.table
    realised = ("Curves plot the realised participation (participants / group size, as drawn) on the x axis; "
                if is_realised(t) else "Curves plot the nominal participation p; ")
    doc.text(f"Results: `{results.results_dir}`, {len(results.records)} cells in {len(studies)} "
             f"stud{'y' if len(studies) == 1 else 'ies'}. Metric: `{metric}` on the fixed holdout test set unless "
             "a table says otherwise. Intervals are 95% Student-t intervals over seeds (each seed is one participant "
             "draw, the replicate; none with one seed), clipped to the range the value can take. Every participant / "
             "non-participant measure compares the same users at p = 0 (same model, seed and study). "
             + realised + "tables name the measured p. A measure that is undefined shows its reason instead of a number.")
    rows = []
    for study in studies:
        for (dataset, lever, selector), s in study.table.groupby(["dataset", "lever", "selector"]):
            rows.append({**({"study": study.name} if len(studies) > 1 else {}), "dataset": dataset, "lever": lever,
                         "selector": selector, "models": ", ".join(sorted(s["model"].unique())),
                         "participations": ", ".join(participation(p) for p in sorted(s["participation"].unique())),
                         "seeds": s["seed"].nunique(), "cells": s["cell_key"].nunique()})
    doc.table(pd.DataFrame(rows), "What the results directory holds", name="contents")
    if len(studies) > 1:
        doc.text("These results hold several studies (dataset content, split or evaluation protocol differ). Each "
                 "has its own section below, and no measure compares rows of different studies.", note=True)
        doc.table(pd.DataFrame([describe(s) for s in studies]), "Studies", name="studies")


def _settings(records: list[dict], key: str, leave_out=()) -> str:
    seen = {json.dumps({k: v for k, v in (r["config"].get(key) or {}).items() if k not in leave_out},
                       sort_keys=True, default=str) for r in records}
    return "; ".join(sorted(seen))


def describe(study: Study) -> dict:
    """A study as one row: its name, datasets, split and evaluation settings, and cell count."""
    return {"study": study.name, "dataset": ", ".join(sorted(study.table["dataset"].unique())),
            "split": _settings(study.records, "split"), "evaluation": _settings(study.records, "eval", ("batch_size",)),
            "cells": len(study.records)}


def provenance(doc, results: Results) -> None:
    doc.heading("Provenance", 2)
    commits = pd.Series([(r.get("versions") or {}).get("git_commit") or "unknown" for r in results.records])
    versions = pd.Series([(r.get("versions") or {}).get("recbole") or "unknown" for r in results.records])
    frame = pd.DataFrame({"git commit": commits, "recbole": versions}).value_counts().rename("cells").reset_index()
    doc.table(frame, "Code versions the cells ran with (every record also holds its full resolved config)")
    doc.text("Every number above comes from `results_table.csv` beside this report (the long table of "
             "docs/results-table.md); re-run any cell with `strikebench leaderboard verify`.", note=True)
