"""The table and plot a sweep ends with: a metric against participation, per model and group.

Relative change compares each group with the same users at p = 0 (same model, seed and
everything else), so participants are compared with themselves before the strike.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from strikebench.errors import StrikebenchError
from strikebench.results import store
from strikebench.results.keys import cell_key
from strikebench.results.record import CellRecord
from strikebench.results.table import record_keys
from strikebench.results.vocabulary import GROUPS

# the quick start's strike deletes the participants' data: popularity is all they get
GROUP_TITLES = {"all": "all users", "participants": "participants (no data left: popularity)",
                "non_participants": "non-participants"}


def baseline_key(record: dict) -> str:
    """The key of the same cell at p = 0."""
    config = {**record["config"], "strike": {**record["config"]["strike"], "participation": 0}}
    return cell_key(config)


def cell_rows(records_with_paths: list[tuple[dict, Path]], metric: str) -> pd.DataFrame:
    """Per cell and group: the metric, and the same users' mean at p = 0 (incumbent, holdout)."""
    by_key = {rec["cell_key"]: (rec, path) for rec, path in records_with_paths}
    per_user_cache: dict[str, pd.DataFrame] = {}

    def per_user(key):
        if key not in per_user_cache:
            table = store.read_per_user(by_key[key][1])
            per_user_cache[key] = table[table["company"] == "incumbent"].set_index("user")
        return per_user_cache[key]

    rows = []
    for rec, _ in records_with_paths:
        keys = record_keys(rec)
        holdout = CellRecord.of(rec).companies["incumbent"].metrics["holdout"]
        base_key = baseline_key(rec)
        current = per_user(rec["cell_key"])
        base = per_user(base_key) if base_key in by_key else None
        for group in GROUPS:
            value = holdout[group].values.get(metric)
            baseline = np.nan
            if base is not None and value is not None:
                if group == "all":
                    users = current.index
                else:
                    users = current.index[current["participant"] == (group == "participants")]
                baseline = float(base.loc[users, metric].mean()) if len(users) else np.nan
            rows.append({**keys, "group": group, "value": np.nan if value is None else value, "baseline": baseline})
    return pd.DataFrame(rows)


def summary_table(rows: pd.DataFrame) -> pd.DataFrame:
    """model x p: mean and spread (sd over seeds) per group, and the relative change against p = 0;
    each row names its dataset and the model's family (the W&B sweep Table's columns)."""
    rows = rows.assign(change=(rows["value"] - rows["baseline"]) / rows["baseline"])
    out = []
    by = ["dataset", "lever", "selector", "family", "model", "participation"]
    for (dataset, lever, selector, family, model, p), cell in rows.groupby(by, sort=True, dropna=False):
        entry = {"dataset": dataset, "lever": lever, "selector": selector, "family": family, "model": model, "p": p,
                 "seeds": cell["seed"].nunique()}
        for group in GROUPS:
            g = cell[cell["group"] == group]
            entry[f"{group}_mean"] = g["value"].mean()
            entry[f"{group}_sd"] = g["value"].std(ddof=1) if g["value"].notna().sum() > 1 else np.nan
            entry[f"{group}_change"] = g["change"].mean()
        out.append(entry)
    return pd.DataFrame(out)


def format_table(table: pd.DataFrame, metric: str) -> str:
    def cell(mean, sd):
        if pd.isna(mean):
            return "—"
        return f"{mean:.4f}" + (f" ± {sd:.4f}" if not pd.isna(sd) else "")

    def change(value):
        return "—" if pd.isna(value) else f"{100 * value:+.1f}%"

    several = table[["lever", "selector"]].drop_duplicates().shape[0] > 1
    header = (["lever", "selector"] if several else []) + [
        "model", "p", f"all {metric}", "Δ all", "participants", "Δ part.", "non-participants", "Δ non-part."]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for _, r in table.iterrows():
        lines.append("| " + " | ".join(([str(r["lever"]), str(r["selector"])] if several else []) + [
            str(r["model"]), f"{r['p']:g}",
            cell(r["all_mean"], r["all_sd"]), change(r["all_change"]),
            cell(r["participants_mean"], r["participants_sd"]), change(r["participants_change"]),
            cell(r["non_participants_mean"], r["non_participants_sd"]), change(r["non_participants_change"]),
        ]) + " |")
    return "\n".join(lines)


def _curves(table: pd.DataFrame) -> pd.DataFrame:
    """The table as the report's figures read it: a row per curve, group and p, band = mean ± sd.

    Column ``model`` names the curve: the model, with its lever and selector when the table has
    several."""
    several = table[["lever", "selector"]].drop_duplicates().shape[0] > 1
    curve = table["model"] + " · " + table["lever"] + " · " + table["selector"] if several else table["model"]
    frames = []
    for group in GROUPS:
        mean, sd = table[f"{group}_mean"], table[f"{group}_sd"]
        frames.append(pd.DataFrame({"model": curve, "group": group, "participation": table["p"], "mean": mean,
                                    "ci_low": mean - sd, "ci_high": mean + sd}))
    return pd.concat(frames, ignore_index=True)


def plot(table: pd.DataFrame, metric: str, path: Path) -> None:
    """The report's per-group panels of the table's curves, written as one PNG."""
    draw_panels(_curves(table), metric, f"{metric} under a data strike (mean ± sd over seeds)", path)


def draw_panels(cells: pd.DataFrame, metric: str, title: str, path: Path) -> None:
    """``cells`` (model = the curve's name, group, participation, mean, ci_low, ci_high) as the
    report's per-group panels, written as one PNG."""
    import matplotlib.pyplot as plt

    from strikebench.reporting import figures  # sets the Agg backend first

    # one colour per curve: each curve is its own family for the report's styles
    styles = figures.model_styles(cells.assign(family=cells["model"]))
    fig = figures.group_panels(cells, metric, title, styles, GROUP_TITLES)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def summarize(records_with_paths, out_dir: Path, metric: str = "ndcg@10") -> tuple[str, Path]:
    """Write summary.md, summary.csv and the plot into ``out_dir``; return the table text and plot path."""
    if not records_with_paths:
        raise StrikebenchError("no records to summarise")
    return summarize_rows(cell_rows(records_with_paths, metric), out_dir, metric)


def summarize_rows(rows: pd.DataFrame, out_dir: Path, metric: str) -> tuple[str, Path]:
    """:func:`summarize` from :func:`cell_rows` already computed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    table = summary_table(rows)
    text = format_table(table, metric)
    table.to_csv(out_dir / "summary.csv", index=False)
    (out_dir / "summary.md").write_text(text + "\n")
    figure = out_dir / f"{metric.replace('@', '_at_')}_vs_participation.png"
    plot(table, metric, figure)
    return text, figure


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="strikebench summary", description="Table and plot of every record in a results directory.")
    parser.add_argument("results_dir", type=Path)
    parser.add_argument("--metric", default="ndcg@10")
    parser.add_argument("--out", type=Path, default=None, help="default: RESULTS_DIR/summary")
    args = parser.parse_args(argv)
    records = [(rec, store.cell_dir(args.results_dir, rec["cell_key"])) for rec in store.iter_records(args.results_dir)]
    if not records:
        raise StrikebenchError(f"no records in {args.results_dir}")
    text, figure = summarize(records, args.out or args.results_dir / "summary", args.metric)
    print(text)
    print(f"\nplot: {figure}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
