"""``strikebench report RESULTS_DIR [--out DIR] [--metric M] [--latex] [--wandb]``: Markdown and HTML reports.

Per study (a results folder holding several gets a section per study, and no measure mixes
them) and dataset: degradation curves of the random strike with CI bands (colour = model family),
the loss share L(p) per group against the same users at p = 0, threshold and back-in-time
tables, strike versus boycott; per-group bars for targeted strikes (selector != random);
incumbent and competitor curves and the DLP tables for transfer levers. Figures are 300 dpi PNG
and SVG under ``<out>/figures/``; ``report.html`` embeds them, so it is one self-contained file.
``--latex`` also writes the tables (and the leaderboard) as booktabs ``<out>/*.tex``. Undefined
measures show their reason.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from strikebench.errors import StrikebenchError
from strikebench.extras import require
from strikebench.reporting import figures, sections
from strikebench.reporting.document import Document
from strikebench.reporting.latex import write_tables
from strikebench.reporting.load import Results, Study, load_results, metric_of
from strikebench.reporting.overview import overview, provenance
from strikebench.reporting.sections_transfer import transfer
from strikebench.reporting.settings import analysis_settings
from strikebench.results.atomic import atomic_file

FIGURES = "figures"


@dataclass
class ReportOutput:
    markdown: Path
    html: Path
    figures: list[Path]
    wandb_run: str | None = None
    latex: list[Path] = field(default_factory=list)


def _study(doc: Document, study: Study, ctx_args: dict, several: bool) -> None:
    level = 3 if several else 2
    if several:
        doc.heading(f"Study {study.name}", 2)
    ctx = sections.Context(doc, study, study.with_baselines(ctx_args["metric"]), **ctx_args,
                           tag=sections.slug(study.name)[:40] if several else "", level=level + 1)
    table = study.table
    for dataset in sorted(table["dataset"].unique()):
        data = table[table["dataset"] == dataset]
        doc.heading(f"Dataset {dataset}", level)
        competitor_levers = set(data.loc[data["company"] == "competitor", "lever"])
        for lever in sorted(set(data["lever"]) - competitor_levers):
            sections.random_strike(ctx, dataset, lever)
        sections.targeted_strikes(ctx, dataset, competitor_levers)
        for lever in sorted(competitor_levers):
            transfer(ctx, dataset, lever)


def build_report(results: Results, out_dir: Path, settings: dict) -> tuple[Document, list[Path]]:
    """The report document, with its figures written under ``out_dir/figures``."""
    metric = metric_of(results.table, settings["metric"])
    doc = Document(f"strikebench report: {results.results_dir.name}")
    fig_dir = out_dir / FIGURES
    written: list[Path] = []

    def add_figure(names: list[str], caption: str) -> None:
        written.extend(fig_dir / n for n in names)
        doc.figure(f"{FIGURES}/{names[0]}", caption)  # PNG in the Markdown; the HTML embeds the SVG

    studies = results.studies()
    overview(doc, results, metric, settings, studies)
    ctx_args = {"metric": metric, "settings": settings, "styles": figures.model_styles(results.table),
                "fig_dir": fig_dir, "add_figure": add_figure}
    for study in studies:
        _study(doc, study, ctx_args, several=len(studies) > 1)
    provenance(doc, results)
    return doc, written


def leaderboard_tables(results: Results, settings: dict) -> list[tuple]:
    """(name, frame, caption) of each study's leaderboard for LaTeX; none where nothing is ranked."""
    from strikebench.reporting.board_text import latex_tables
    from strikebench.reporting.leaderboard import board_of

    studies = results.studies()
    out = []
    for study in studies:
        try:
            board = board_of(study.table, study.per_user, settings)
        except StrikebenchError:  # e.g. no random strike with p > 0 to rank
            continue
        prefix = sections.slug(study.name)[:40] + "_" if len(studies) > 1 else ""
        out += latex_tables(board, settings, f"{prefix}leaderboard")
    return out


def write_report(results_dir, out_dir=None, metric: str | None = None, wandb: bool = False,
                 log=print, latex: bool = False) -> ReportOutput:
    if wandb:
        require("wandb", "report --wandb")  # before the report is built
    results = load_results(results_dir)
    out_dir = Path(out_dir) if out_dir else results.results_dir / "report"
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = analysis_settings(metric=metric)
    started = time.perf_counter()
    doc, written = build_report(results, out_dir, settings)
    md, html = out_dir / "report.md", out_dir / "report.html"
    with atomic_file(md, encoding="utf-8") as fh:
        fh.write(doc.markdown())
    with atomic_file(html, encoding="utf-8") as fh:
        fh.write(doc.html(out_dir))
    with atomic_file(out_dir / "results_table.csv") as fh:
        results.table.to_csv(fh, index=False)
    output = ReportOutput(md, html, written)
    if latex:
        output.latex = write_tables(doc.named_tables() + leaderboard_tables(results, settings), out_dir)
    if wandb:
        from strikebench.reporting.wandb_report import log_report

        output.wandb_run = log_report(results, out_dir, written, settings)
    log(f"report: {html} ({len(written)} figure files, {len(output.latex)} LaTeX tables, "
        f"{time.perf_counter() - started:.1f}s)")
    return output


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="strikebench report", description="Markdown and HTML report of a results directory.")
    parser.add_argument("results_dir", type=Path)
    parser.add_argument("--out", type=Path, default=None, help="default: RESULTS_DIR/report")
    parser.add_argument("--metric", default=None, help="default: conf/analysis/default.yaml (ndcg@10)")
    parser.add_argument("--wandb", action="store_true",
                        help="also log the figures to a W&B run (offline unless an API key is configured)")
    parser.add_argument("--latex", action="store_true",
                        help="also write the tables and the leaderboard as booktabs LaTeX, OUT/*.tex")
    args = parser.parse_args(argv)
    out = write_report(args.results_dir, args.out, args.metric, args.wandb, latex=args.latex)
    print(f"markdown: {out.markdown}\nhtml:     {out.html}")
    if out.latex:
        print(f"latex:    {len(out.latex)} tables in {out.latex[0].parent}")
    if out.wandb_run:
        print(f"wandb:    {out.wandb_run}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

__all__ = ["ReportOutput", "build_report", "main", "write_report"]
