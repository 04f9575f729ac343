"""The table and plot a sweep ends with: a metric against participation, per model and group.

Relative change compares each group with the same users at p = 0 (``analysis.baselines``: same
study, model and seed; p = 0 pooled over levers and selectors), so participants are compared
with themselves before the strike. Records of several studies are summarised per study (a
section and a plot each), never pooled.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from strikebench.analysis import split_studies, with_group_baselines
from strikebench.analysis.baselines import same_user_values
from strikebench.analysis.table import STUDY, validate_results_table
from strikebench.errors import StrikebenchError
from strikebench.reporting.load import REALISED
from strikebench.reporting.participants import group_titles
from strikebench.results import store
from strikebench.results.atomic import atomic_file
from strikebench.results.per_user_table import cell_per_user
from strikebench.results.table import records_to_table
from strikebench.results.vocabulary import GROUPS

CURVE = ["lever", "selector", "model"]


def _tables(records_with_paths: list[tuple[dict, Path]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the long table of the records, their incumbent holdout per-user table with each cell's study)."""
    table = validate_results_table(records_to_table([rec for rec, _ in records_with_paths]))
    studies = table.drop_duplicates("cell_key").set_index("cell_key")[STUDY]
    frames = []
    for rec, path in records_with_paths:
        if (Path(path) / store.PER_USER).is_file():
            per_user = store.read_per_user(path)
            frames.append(cell_per_user(rec, per_user[per_user["company"] == "incumbent"], views=("holdout",)))
    per_user = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["cell_key"])
    return table, per_user.assign(**{STUDY: per_user["cell_key"].map(studies)})


def cell_rows(records_with_paths: list[tuple[dict, Path]], metric: str) -> pd.DataFrame:
    """Per cell and group (incumbent, holdout): the metric and ``baseline``, the same users' mean at
    p = 0 with the same model and seed (NaN without a p = 0 cell of that model and seed)."""
    table, per_user = _tables(records_with_paths)
    rows = table[(table["company"] == "incumbent") & (table["view"] == "holdout") & (table["metric"] == metric)]
    if rows.empty:
        raise StrikebenchError(f"--metric: {metric!r} is not in these records (have: "
                               f"{', '.join(sorted(table['metric'].unique()))})")
    if not per_user.empty and metric in per_user.columns:
        rows = with_group_baselines(rows, per_user)
    return rows.assign(baseline=same_user_values(rows))


def summary_table(rows: pd.DataFrame) -> pd.DataFrame:
    """study x lever x selector x model x p: mean and spread (sd over seeds) per group, and the
    relative change against the same users at p = 0 (mean over seeds); each row names its dataset
    and the model's family (the W&B sweep Table's columns)."""
    rows = rows.assign(change=(rows["value"] - rows["baseline"]) / rows["baseline"])
    realised = REALISED in rows.columns
    out = []
    keys = [STUDY, "dataset"] + CURVE + ["participation"]
    for key, cell in rows.groupby(keys, sort=True, dropna=False):
        entry = dict(zip(keys, key))
        entry["family"] = cell["family"].iloc[0]
        entry["p"] = entry.pop("participation")
        entry["realised_p"] = cell[REALISED].mean() if realised else np.nan
        entry["seeds"] = cell["seed"].nunique()
        for group in GROUPS:
            g = cell[cell["group"] == group]
            entry[f"{group}_mean"] = g["value"].mean()
            entry[f"{group}_sd"] = g["value"].std(ddof=1) if g["value"].notna().sum() > 1 else np.nan
            entry[f"{group}_change"] = g["change"].mean()
        out.append(entry)
    return pd.DataFrame(out)


def _several(table: pd.DataFrame) -> bool:
    return table[["lever", "selector"]].drop_duplicates().shape[0] > 1


def format_table(table: pd.DataFrame, metric: str) -> str:
    """The summary as Markdown, one table per study (headed by its name when there are several)."""
    studies = list(split_studies(table))
    parts = []
    for study, rows in studies:
        if len(studies) > 1:
            parts.append(f"### study {study}\n")
        parts.append(_format(rows, metric))
    return "\n\n".join(parts)


def _format(table: pd.DataFrame, metric: str) -> str:
    def cell(mean, sd):
        if pd.isna(mean):
            return "—"
        return f"{mean:.4f}" + (f" ± {sd:.4f}" if not pd.isna(sd) else "")

    def change(value):
        return "—" if pd.isna(value) else f"{100 * value:+.1f}%"

    several = _several(table)
    realised = table["realised_p"].notna().any() and not np.allclose(table["realised_p"].fillna(table["p"]), table["p"])
    header = (["lever", "selector"] if several else []) + ["model", "p"] + (["realised p"] if realised else []) + [
        f"all {metric}", "Δ all", "participants", "Δ part.", "non-participants", "Δ non-part."]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for _, r in table.iterrows():
        lines.append("| " + " | ".join(([str(r["lever"]), str(r["selector"])] if several else []) + [
            str(r["model"]), f"{r['p']:g}"] + ([f"{r['realised_p']:.4g}"] if realised else []) + [
            cell(r["all_mean"], r["all_sd"]), change(r["all_change"]),
            cell(r["participants_mean"], r["participants_sd"]), change(r["participants_change"]),
            cell(r["non_participants_mean"], r["non_participants_sd"]), change(r["non_participants_change"]),
        ]) + " |")
    return "\n".join(lines)


def _curves(table: pd.DataFrame) -> pd.DataFrame:
    """The table as the report's figures read it: a row per curve, group and p, band = mean ± sd,
    x = the realised participation where known.

    Column ``model`` names the curve: the model, with its lever and selector when the table has
    several."""
    curve = (table["model"] + " · " + table["lever"] + " · " + table["selector"]) if _several(table) else table["model"]
    x = table["realised_p"].where(table["realised_p"].notna(), table["p"])
    frames = []
    for group in GROUPS:
        mean, sd = table[f"{group}_mean"], table[f"{group}_sd"]
        frames.append(pd.DataFrame({"model": curve, "group": group, "participation": table["p"], "x": x, "mean": mean,
                                    "ci_low": mean - sd, "ci_high": mean + sd}))
    return pd.concat(frames, ignore_index=True)


def plot(table: pd.DataFrame, metric: str, path: Path, titles: dict | None = None, why: str = "") -> Path:
    """The report's per-group panels of the table's curves: ``path`` (PNG, 300 dpi) and its SVG."""
    realised = bool(table["realised_p"].notna().any())
    return draw_panels(_curves(table), metric, f"{metric} against participation (mean ± sd over seeds)", path,
                       titles, why, realised)


def draw_panels(cells: pd.DataFrame, metric: str, title: str, path: Path, titles: dict | None = None,
                why: str = "", realised: bool = False) -> Path:
    """``cells`` (model = the curve's name, group, participation, mean, ci_low, ci_high) as the
    report's per-group panels, written as a PNG (300 dpi) and its SVG."""
    from strikebench.reporting import figure_kit, figures  # sets the Agg backend first

    # one colour per curve: each curve is its own family for the report's styles
    styles = figures.model_styles(cells.assign(family=cells["model"]))
    fig = figures.group_panels(cells, f"{metric} (holdout test set)", title, styles, titles or figures.GROUP_TITLES,
                               why, realised, figure_kit.value_range(metric))
    figure_kit.save(fig, path.parent, path.stem)
    return path


def summarize(records_with_paths, out_dir: Path, metric: str = "ndcg@10") -> tuple[str, Path]:
    """Write summary.md, summary.csv and the plot (one per study) into ``out_dir``; return the
    table text and the (first) plot's path."""
    if not records_with_paths:
        raise StrikebenchError("no records to summarise")
    return summarize_rows(cell_rows(records_with_paths, metric), out_dir, metric,
                          [record for record, _ in records_with_paths])


def summarize_rows(rows: pd.DataFrame, out_dir: Path, metric: str, records: list) -> tuple[str, Path]:
    """:func:`summarize` from :func:`cell_rows` already computed (``records``: the cells' records,
    for the participants panels' titles)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    table = summary_table(rows)
    text = format_table(table, metric)
    with atomic_file(out_dir / "summary.csv") as fh:
        table.to_csv(fh, index=False)
    with atomic_file(out_dir / "summary.md", encoding="utf-8") as fh:
        fh.write(text + "\n")
    everything = validate_results_table(records_to_table(records))
    studies = list(split_studies(table))
    figures = []
    for i, (study, rows) in enumerate(studies):
        suffix = f"_study{i + 1}" if len(studies) > 1 else ""
        titles, why = group_titles(everything[everything[STUDY] == study])
        figures.append(plot(rows, metric, out_dir / f"{metric.replace('@', '_at_')}_vs_participation{suffix}.png",
                            titles, why))
    return text, figures[0]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="strikebench summary", description="Table and plot of every record in a results directory.")
    parser.add_argument("results_dir", type=Path)
    parser.add_argument("--metric", default="ndcg@10")
    parser.add_argument("--out", type=Path, default=None, help="default: RESULTS_DIR/summary")
    args = parser.parse_args(argv)
    records = [(rec, store.cell_dir(args.results_dir, rec["cell_key"])) for rec in store.iter_records(args.results_dir)]
    if not records:
        raise StrikebenchError(f"no records in {args.results_dir}")
    out = args.out or args.results_dir / "summary"
    text, figure = summarize(records, out, args.metric)
    print(text)
    print(f"\nplots: {', '.join(str(p) for p in sorted(out.glob(figure.stem.split('_study')[0] + '*.png')))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
