"""``strikebench wandb-sync RESULTS``: log to W&B the cells that finished without it.

    strikebench wandb-sync RESULTS [--project P] [--entity E] [--group G] [--mode auto|online|offline]

Each stored cell gets the run a live ``logger=wandb`` cell gets (id ``cell-<cell key>``, the same
config keys, summary and record artifact), without the per-epoch history, which only exists
while a cell trains. Keyed by cell and idempotent: a cell whose run finished (live or by an
earlier sync) is marked under ``RESULTS/wandb/logged/`` and skipped. The group is ``--group``,
else the name of the sweep that planned the cell, else the results folder's name.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from strikebench.app.plan import SWEEP_PLAN, SWEEPS
from strikebench.errors import StrikebenchError
from strikebench.extras import load
from strikebench.results import store
from strikebench.results.record import CellRecord
from strikebench.tracking.wandb_logger import WANDB_DIR, log_record, logged_marker, open_cell_run, write_logged
from strikebench.tracking.wandb_mode import MODES, describe, one_line, resolve_mode


def sweep_of_cells(results_dir: Path) -> dict[str, str]:
    """cell key -> the name of the sweep whose saved plan holds it."""
    found = {}
    for plan in sorted((results_dir / SWEEPS).glob(f"*/{SWEEP_PLAN}")):
        found.update({cell["key"]: plan.parent.name for cell in json.loads(plan.read_text())})
    return found


def sync_cell(wandb, record: CellRecord, results_dir: Path, args, group: str) -> tuple[str, str | None]:
    """Log one stored cell; returns (the run's mode or ``failed``, a warning line or None)."""
    logger = record.config.get("logger") or {}
    opened = open_cell_run(wandb, record, args.mode or str(logger.get("mode") or "auto"), results_dir,
                           project=args.project or logger.get("project") or "strikebench",
                           entity=args.entity or logger.get("entity"), group=group)
    warning = describe(opened, results_dir / WANDB_DIR)
    if opened.run is None:
        return "failed", warning
    try:
        log_record(wandb, opened.run, record, store.cell_dir(results_dir, record.cell_key))
        opened.run.finish()
    except Exception as exc:  # noqa: BLE001 - one cell's failure does not stop the others
        return "failed", f"W&B logging failed: {one_line(exc)}"
    write_logged(results_dir, record.cell_key, opened.mode, opened.run)
    return opened.mode, warning


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="strikebench wandb-sync", description=__doc__.splitlines()[0])
    parser.add_argument("results_dir", type=Path)
    parser.add_argument("--project", default=None, help="default: the cell's logger.project, else strikebench")
    parser.add_argument("--entity", default=None)
    parser.add_argument("--group", default=None, help="default: the sweep that planned the cell, else RESULTS' name")
    parser.add_argument("--mode", choices=MODES, default=None, help="default: the cell's logger.mode, else auto")
    args = parser.parse_args(argv)
    if not args.results_dir.is_dir():
        raise StrikebenchError(f"no results directory {args.results_dir}")
    wandb = load("wandb", "wandb-sync")
    if resolve_mode(args.mode or "auto") == "disabled":
        raise StrikebenchError("wandb-sync: W&B is disabled (WANDB_MODE=disabled); nothing to log")
    sweeps = sweep_of_cells(args.results_dir)
    counts = {"logged": 0, "skipped": 0, "failed": 0}
    warned = set()
    for stored in store.iter_records(args.results_dir):
        record = CellRecord.from_json(stored)
        if logged_marker(args.results_dir, record.cell_key).is_file():
            counts["skipped"] += 1
            continue
        group = args.group or sweeps.get(record.cell_key) or args.results_dir.resolve().name
        mode, warning = sync_cell(wandb, record, args.results_dir, args, group)
        if warning and warning not in warned:  # e.g. the server is unreachable: said once
            print(f"strikebench: {warning}")
            warned.add(warning)
        if mode == "offline" and warning:  # the server did not answer: the other cells go offline at once
            args.mode = "offline"
        counts["failed" if mode == "failed" else "logged"] += 1
    print(f"wandb-sync {args.results_dir}: {counts['logged']} cells logged, {counts['skipped']} already logged, "
          f"{counts['failed']} failed")
    return 1 if counts["failed"] else 0
