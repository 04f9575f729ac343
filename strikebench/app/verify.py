"""``strikebench leaderboard verify MANIFEST --cells K [--seed S]``: re-run published cells.

K cells are drawn from the manifest (seeded by S). Each is re-run from its stored resolved config
with :func:`strikebench.app.cell.run_cell` into a temporary results directory (``force``), and
every published metric is compared with the new value (tolerances: strikebench.reporting.verify).

Exit status 0 when every checked value is within tolerance, 1 otherwise (2 for bad input).
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from strikebench.app.cell import resolved_config, run_cell
from strikebench.app.sweep import compose_cell
from strikebench.reporting.formatting import participation
from strikebench.reporting.manifest import machine_fingerprint, read_manifest
from strikebench.reporting.verify import (CellCheck, compare_record, describe_tolerances, sample_cells,
                                          summary_table, tolerance_for)
from strikebench.results.record import CellRecord

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


def verify_cell(entry: dict, manifest: dict, here: dict, results_dir: Path, data_root: str | None,
                log=print) -> CellCheck:
    kind, tolerances = tolerance_for(entry, manifest, here)
    check = CellCheck(entry["cell_key"], entry["model"], entry["lever"], entry["participation"], entry["seed"],
                      kind, tolerances)
    cfg, check.notes = cell_config(entry["config"], results_dir, data_root)
    outcome = run_cell(cfg, log=lambda m: log(f"    {m}"))
    if outcome.key != entry["cell_key"]:
        check.notes.append(f"config key now {outcome.key} (keys added since publication were filled with defaults)")
    compare_record(entry, CellRecord.from_json(outcome.record), check)
    return check


def run_verify(manifest_path, k: int, seed: int = 0, data_root: str | None = None, keep: Path | None = None,
               log=print) -> list[CellCheck]:
    manifest = read_manifest(manifest_path)
    chosen = sample_cells(manifest, k, seed)
    here = machine_fingerprint()
    work = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="strikebench-verify-"))
    checks = []
    try:
        for i, entry in enumerate(chosen, 1):
            log(f"[{i}/{len(chosen)}] re-running {entry['model']} {entry['lever']} "
                f"p={participation(entry['participation'])} seed={entry['seed']} ({entry['cell_key']})")
            check = verify_cell(entry, manifest, here, work, data_root, log)
            log(f"    {'ok' if check.ok else 'MISMATCH'}: max |Δ| {check.max_difference:.3g} "
                f"(tolerance {describe_tolerances(check.tolerances)}, {check.kind})")
            for line in check.mismatches[:10] + check.notes:
                log(f"    {line}")
            checks.append(check)
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    return checks


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="strikebench leaderboard verify", description="Re-run K published cells of a leaderboard manifest and compare every metric.")
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--cells", type=int, required=True, help="how many cells to re-run (sampled)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample of cells")
    parser.add_argument("--data-root", default=None, help="where datasets are (default: the usual data_root)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the re-run records in this folder")
    args = parser.parse_args(argv)
    checks = run_verify(args.manifest, args.cells, args.seed, args.data_root, args.keep)
    table = summary_table(checks)
    print("\n" + table.to_string(index=False))
    bad = [c for c in checks if not c.ok]
    print(f"\n{len(checks) - len(bad)} of {len(checks)} cells reproduce the published values"
          + ("" if not bad else f"; {len(bad)} do not"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
