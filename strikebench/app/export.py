"""Export a cell's company view as RecBole benchmark atomic files, to rerun it in plain RecBole.

    strikebench export OUT_DIR [KEY=VALUE ...] [--company incumbent] [--test holdout|company]

The cell is composed and checked as for a run (no training); the files are written by
:mod:`strikebench.data.export`.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from strikebench.app.cell import preflight, resolved_config
from strikebench.app.sweep import compose_cell
from strikebench.data.export import company_tables, export_name, write_export
from strikebench.results.keys import cell_key
from strikebench.results.vocabulary import VIEWS


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="strikebench export", description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("overrides", nargs="*", help="Hydra overrides of the cell, as for a run")
    parser.add_argument("--company", default="incumbent")
    parser.add_argument("--test", choices=VIEWS, default="holdout",
                        help="holdout: the whole fixed test set; company: only users the company holds data for")
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args(argv)

    cfg = compose_cell(args.overrides)
    data, split, state, _ = preflight(cfg)
    key = cell_key(resolved_config(cfg))
    tables = company_tables(data, split, state, args.company, args.test)
    participants = [str(t) for t in data.user_tokens[state.participants.users]]
    path = write_export(tables, args.out_dir, export_name(cfg, args.company, key), participants, args.overwrite)
    sizes = ", ".join(f"{part} {len(t)}" for part, t in tables.items())
    print(f"exported {args.company} view of cell {key} ({sizes}) to {path}")
    print(f"rerun in RecBole with the settings in {path / (path.name + '.yaml')}")
    return 0
