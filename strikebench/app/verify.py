"""``strikebench leaderboard verify MANIFEST --cells K [--seed S]``: check a leaderboard and re-run cells.

First, without running anything, every cell entry of the manifest is checked against its own
config and strikebench's rules, and leaderboard.csv / leaderboard.md against the manifest
(strikebench.reporting.verify, strikebench.reporting.board_files). Then K cells drawn from the
manifest (seeded by S; without --seed a random S, printed so the draw can be repeated), or the
cells named with --cell, are re-run from their stored resolved config with
:func:`strikebench.app.cell.run_cell` in a temporary results directory (``force``), and every
value is compared with the published one (tolerances: strikebench.reporting.tolerances).

Exit status: 0 when everything holds, 1 on any mismatch, 2 on a bad manifest (unreadable, wrong
schema, naming code without --allow-code) or bad arguments, with a one-line message.
"""
from __future__ import annotations

import argparse
import secrets
import shutil
import sys
import tempfile
from pathlib import Path

from strikebench.app.cell import resolved_config, run_cell
from strikebench.app.sweep import compose_cell
from strikebench.errors import StrikebenchError
from strikebench.reporting import tolerances
from strikebench.reporting.board_files import file_problems
from strikebench.reporting.formatting import participation
from strikebench.reporting.manifest import read_manifest
from strikebench.reporting.verify import (CellCheck, cell_problems, compare_record, kind_of, refuse_code,
                                          sample_cells, summary_table)
from strikebench.results.record import CellRecord
from strikebench.results.study import MASK_BEFORE_OPTION

# Sections of a config chosen by a config group: a stored one is complete and must not be padded.
GROUP_SECTIONS = ("dataset", "model", "strike")


def _fill_missing(stored: dict, defaults: dict) -> dict:
    """``stored`` with keys it lacks taken from ``defaults`` (config keys added since it was run)."""
    out = dict(stored)
    for key, value in defaults.items():
        if key not in out:
            out[key] = value
        elif isinstance(value, dict) and isinstance(out[key], dict) and key not in GROUP_SECTIONS:
            out[key] = _fill_missing(out[key], value)
    return out


def cell_config(stored: dict, results_dir: Path, data_root: str | None = None) -> tuple[object, list[str]]:
    """The config to re-run a stored cell with, and notes on what had to change."""
    import torch
    from omegaconf import OmegaConf

    defaults = resolved_config(compose_cell([f"results_dir={results_dir}"]))
    # a cell published before eval.mask existed masked what the company held
    stored = {**stored, "eval": {"mask": MASK_BEFORE_OPTION, **(stored.get("eval") or {})}}
    config = _fill_missing(stored, {k: v for k, v in defaults.items() if k not in GROUP_SECTIONS})
    notes = []
    config.update(results_dir=str(results_dir), work_dir=str(results_dir / ".work"),
                  data_root=data_root or defaults["data_root"], force=True, resume=False,
                  logger={"name": "local"})
    trainer = dict(config.get("trainer") or {})
    if trainer.get("accelerator") in ("gpu", "cuda") and not torch.cuda.is_available():
        trainer.update(accelerator="cpu", devices=1)
        notes.append("ran on CPU (published on GPU)")
    config["trainer"] = trainer
    return OmegaConf.create(config), notes


def verify_cell(entry: dict, kind: str, results_dir: Path, data_root: str | None, log=print) -> CellCheck:
    check = CellCheck(entry["cell_key"], entry["model"], entry["lever"], entry["participation"], entry["seed"], kind)
    cfg, check.notes = cell_config(entry["config"], results_dir, data_root)
    outcome = run_cell(cfg, log=lambda m: log(f"    {m}"))
    if outcome.key != entry["cell_key"]:
        check.notes.append(f"config key now {outcome.key} (keys added since publication were filled with defaults)")
    compare_record(entry, CellRecord.from_json(outcome.record), check)
    return check


def check_manifest(manifest: dict, folder: Path, log=print) -> list[str]:
    """Everything that can be checked without a re-run, over every cell; the problems found."""
    problems = []
    for cell in manifest["cells"]:
        problems += [f"cell {cell['cell_key']}: {p}" for p in cell_problems(cell, kind_of(cell))]
    problems += file_problems(manifest, folder)
    claimed = manifest.get("tolerances")
    if claimed != tolerances.TOLERANCES:
        log(f"note: the manifest claims the tolerances {claimed}; verify applies strikebench's own "
            f"({tolerances.TOLERANCES}), never a manifest's")
    return problems


def choose_cells(manifest: dict, k: int | None, keys: list[str], seed: int) -> list[dict]:
    by_key = {c["cell_key"]: c for c in manifest["cells"]}
    unknown = [key for key in keys if key not in by_key]
    if unknown:
        raise StrikebenchError(f"--cell: no cell {', '.join(unknown)} in the manifest")
    return [by_key[key] for key in keys] + (sample_cells(manifest, k, seed) if k else [])


def run_verify(manifest: dict, chosen: list[dict], data_root: str | None = None, keep: Path | None = None,
               log=print) -> list[CellCheck]:
    work = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="strikebench-verify-"))
    checks = []
    try:
        for i, entry in enumerate(chosen, 1):
            kind = kind_of(entry)
            log(f"[{i}/{len(chosen)}] re-running {entry['model']} {entry['lever']} "
                f"p={participation(entry['participation'])} seed={entry['seed']} ({entry['cell_key']})")
            check = verify_cell(entry, kind, work, data_root, log)
            log(f"    {'ok' if check.ok else 'MISMATCH'}: max |Δ| {check.max_difference:.3g} "
                f"(tolerance {tolerances.describe(kind)}, {kind})")
            more = [f"... and {len(check.mismatches) - 10} more"] if len(check.mismatches) > 10 else []
            for line in check.mismatches[:10] + more + check.notes:
                log(f"    {line}")
            checks.append(check)
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    return checks


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="strikebench leaderboard verify", description="Re-run K published cells of a leaderboard manifest and compare every metric.")
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--cells", type=int, default=None, help="how many cells to re-run (sampled)")
    parser.add_argument("--cell", action="append", default=[], metavar="KEY", help="re-run this cell (repeatable)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the sample of cells (default: random, printed)")
    parser.add_argument("--data-root", default=None, help="where datasets are (default: the usual data_root)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the re-run records in this folder")
    parser.add_argument("--allow-code", action="store_true",
                        help="run cells whose config names code to import (package.module:Class); only for a manifest you trust")
    args = parser.parse_args(argv)
    if args.cells is None and not args.cell:
        parser.error("give --cells K (a sample) or --cell KEY")
    seed = secrets.randbelow(10**6) if args.seed is None else args.seed
    try:
        manifest = read_manifest(args.manifest)
        refuse_code(manifest, args.allow_code)
        chosen = choose_cells(manifest, args.cells, args.cell, seed)
        if args.cells:
            print(f"sample of {len(chosen) - len(args.cell)} cells drawn with --seed {seed}")
        problems = check_manifest(manifest, args.manifest.parent)
        for line in problems:
            print(f"MISMATCH {line}")
        checks = run_verify(manifest, chosen, args.data_root, args.keep)
    except StrikebenchError as exc:
        print(f"strikebench leaderboard verify: error: {exc}", file=sys.stderr)
        return 2
    print("\n" + summary_table(checks).to_string(index=False))
    bad = [c for c in checks if not c.ok]
    print(f"\n{len(checks) - len(bad)} of {len(checks)} cells reproduce the published values"
          + ("" if not bad else f"; {len(bad)} do not")
          + (f"; {len(problems)} problems in the manifest and its files" if problems else
             "; the manifest and leaderboard files agree"))
    return 1 if bad or problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
