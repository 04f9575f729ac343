"""``strikebench report RESULTS_DIR [--out DIR] [--metric M] [--wandb]``: Markdown and HTML reports.

Per dataset: degradation curves of the random strike with CI bands (colour = model family), the
loss share L(p), threshold and back-in-time tables, strike versus boycott; per-group bars for
targeted strikes (selector != random); incumbent and competitor curves and the DLP tables for
transfer levers. Figures are PNG and SVG under ``<out>/figures/``; ``report.html`` references
them by relative paths, so the folder opens anywhere. Undefined measures show their reason.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from strikebench.extras import require
from strikebench.reporting import figures, sections
from strikebench.reporting.document import Document
from strikebench.reporting.load import Results, load_results, metric_of
from strikebench.reporting.settings import analysis_settings

FIGURES = "figures"


@dataclass
class ReportOutput:
    markdown: Path
    html: Path
    figures: list[Path]
    wandb_run: str | None = None


def build_report(results: Results, out_dir: Path, settings: dict) -> tuple[Document, list[Path]]:
    """The report document, with its figures written under ``out_dir/figures``."""
    table = results.table
    metric = metric_of(table, settings["metric"])
    doc = Document(f"strikebench report: {results.results_dir.name}")
    fig_dir = out_dir / FIGURES
    written: list[Path] = []
    styles = figures.model_styles(table)

    def add_figure(names: list[str], caption: str) -> None:
        written.extend(fig_dir / n for n in names)
        doc.figure(f"{FIGURES}/{names[0]}", caption)  # PNG shown; the SVG lies beside it

    sections.overview(doc, results, metric, settings)
    for dataset in sorted(table["dataset"].unique()):
        data = table[table["dataset"] == dataset]
        doc.heading(f"Dataset {dataset}", 2)
        competitor_levers = set(data.loc[data["company"] == "competitor", "lever"])
        for lever in sorted(set(data["lever"]) - competitor_levers):
            sections.random_strike(doc, data, dataset, lever, metric, settings, styles, fig_dir, add_figure, results)
        sections.targeted_strikes(doc, results, data, dataset, metric, settings, styles, fig_dir, add_figure,
                                  competitor_levers)
        for lever in sorted(competitor_levers):
            sections.transfer(doc, table, dataset, lever, metric, settings, styles, fig_dir, add_figure)
    sections.provenance(doc, results)
    return doc, written


def write_report(results_dir, out_dir=None, metric: str | None = None, wandb: bool = False,
                 log=print) -> ReportOutput:
    if wandb:
        require("wandb", "report --wandb")  # before the report is built
    results = load_results(results_dir)
    out_dir = Path(out_dir) if out_dir else results.results_dir / "report"
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = analysis_settings(metric=metric)
    started = time.perf_counter()
    doc, written = build_report(results, out_dir, settings)
    md, html = out_dir / "report.md", out_dir / "report.html"
    md.write_text(doc.markdown(), encoding="utf-8")
    html.write_text(doc.html(), encoding="utf-8")
    results.table.to_csv(out_dir / "results_table.csv", index=False)
    output = ReportOutput(md, html, written)
    if wandb:
        from strikebench.reporting.wandb_report import log_report

        output.wandb_run = log_report(results, out_dir, written, settings)
    log(f"report: {html} ({len(written)} figure files, {time.perf_counter() - started:.1f}s)")
    return output


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="strikebench report", description="Markdown and HTML report of a results directory.")
    parser.add_argument("results_dir", type=Path)
    parser.add_argument("--out", type=Path, default=None, help="default: RESULTS_DIR/report")
    parser.add_argument("--metric", default=None, help="default: conf/analysis/default.yaml (ndcg@10)")
    parser.add_argument("--wandb", action="store_true",
                        help="also log the figures to a W&B run (offline unless an API key is configured)")
    args = parser.parse_args(argv)
    out = write_report(args.results_dir, args.out, args.metric, args.wandb)
    print(f"markdown: {out.markdown}\nhtml:     {out.html}")
    if out.wandb_run:
        print(f"wandb:    {out.wandb_run}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

__all__ = ["ReportOutput", "build_report", "main", "write_report"]
