"""``strikebench leaderboard verify MANIFEST --cells K [--seed S]``: re-run published cells.

K cells are drawn from the manifest (seeded by S). Each is re-run from its stored resolved config
with ``strikebench.cell.run_cell`` into a temporary results directory (``force``), and every
published metric is compared with the new value:

- deterministic models (no trainable step: Pop, ItemKNN, EASE ...): exactly equal on the machine
  that built the manifest, within 1e-6 elsewhere;
- trained models: within the manifest's ``tolerances.trained`` (absolute, per metric: 0.02, and
  0.05 for hit and mrr; docs/reports.md gives the seed-to-seed spread that justifies it);
- the participant ids must be the same (their SHA-256).

Exit status 0 when every checked value is within tolerance, 1 otherwise (2 for bad input).
"""
from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from strikebench.errors import StrikebenchError
from strikebench.reporting.formatting import participation
from strikebench.reporting.manifest import flat_metrics, machine_fingerprint, participants_hash, read_manifest

# Sections of a config chosen by a config group: a stored one is complete and must not be padded.
GROUP_SECTIONS = ("dataset", "model", "strike")


@dataclass
class CellCheck:
    cell_key: str
    model: str
    lever: str
    participation: float
    seed: int
    kind: str  # "deterministic" or "trained"
    tolerances: dict  # metric base name or "default" -> absolute tolerance
    max_difference: float = 0.0
    worst_metric: str = ""
    mismatches: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


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

    from strikebench.cell import resolved_config
    from strikebench.sweep import compose_cell

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


def tolerance_for(entry: dict, manifest: dict, here: dict) -> tuple[str, dict]:
    """("deterministic" | "trained", {metric name before "@" or "default": absolute tolerance})."""
    tol = manifest.get("tolerances") or {}
    if entry.get("deterministic"):
        origin = entry.get("machine") or manifest.get("machine")
        same = origin == here
        value = tol.get("deterministic_same_machine", 0.0) if same else tol.get("deterministic_elsewhere", 1e-6)
        return "deterministic", {"default": float(value)}
    trained = tol.get("trained", 0.02)
    if not isinstance(trained, dict):
        trained = {"default": trained}
    return "trained", {k: float(v) for k, v in trained.items()}


def metric_tolerance(tolerances: dict, name: str) -> float:
    """Tolerance of ``company/view/group/ndcg@10``: by the metric's base name, else the default."""
    base = name.rsplit("/", 1)[-1].split("@", 1)[0]
    return tolerances.get(base, tolerances.get("default", 0.0))


def compare(published: dict, fresh: dict, tolerances: dict, check: CellCheck) -> None:
    for name, old in published.items():
        new = fresh.get(name)
        if old is None or new is None:
            if (old is None) != (new is None):
                check.mismatches.append(f"{name}: published {old}, now {new}")
            continue
        diff = abs(float(new) - float(old))
        tolerance = metric_tolerance(tolerances, name)
        if diff > check.max_difference:
            check.max_difference, check.worst_metric = diff, name
        if diff > tolerance:
            check.mismatches.append(f"{name}: published {old:.6g}, now {new:.6g} (|Δ| = {diff:.3g} > {tolerance:g})")


def verify_cell(entry: dict, manifest: dict, here: dict, results_dir: Path, data_root: str | None,
                log=print) -> CellCheck:
    from strikebench.cell import run_cell

    kind, tolerances = tolerance_for(entry, manifest, here)
    check = CellCheck(entry["cell_key"], entry["model"], entry["lever"], entry["participation"], entry["seed"],
                      kind, tolerances)
    cfg, check.notes = cell_config(entry["config"], results_dir, data_root)
    outcome = run_cell(cfg, log=lambda m: log(f"    {m}"))
    if outcome.key != entry["cell_key"]:
        check.notes.append(f"config key now {outcome.key} (keys added since publication were filled with defaults)")
    if participants_hash(outcome.record) != entry.get("participants_sha256"):
        check.mismatches.append("participants differ from the published draw")
    compare(entry["published"], flat_metrics(outcome.record), tolerances, check)
    return check


def sample_cells(manifest: dict, k: int, seed: int) -> list[dict]:
    cells = sorted(manifest["cells"], key=lambda c: c["cell_key"])
    if k <= 0:
        raise StrikebenchError("--cells: must be at least 1")
    return random.Random(seed).sample(cells, min(k, len(cells)))


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
                f"(tolerance {_describe(check.tolerances)}, {check.kind})")
            for line in check.mismatches[:10] + check.notes:
                log(f"    {line}")
            checks.append(check)
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    return checks


def _describe(tolerances: dict) -> str:
    default = tolerances.get("default", 0.0)
    others = ", ".join(f"{k} {v:g}" for k, v in tolerances.items() if k != "default")
    return f"{default:g}" + (f" ({others})" if others else "")


def summary_table(checks: list[CellCheck]) -> pd.DataFrame:
    return pd.DataFrame([{
        "cell": c.cell_key, "model": c.model, "lever": c.lever, "p": participation(c.participation), "seed": c.seed,
        "kind": c.kind, "tolerance": _describe(c.tolerances), "max |Δ|": f"{c.max_difference:.3g}",
        "worst metric": c.worst_metric, "result": "ok" if c.ok else f"MISMATCH ({len(c.mismatches)})",
    } for c in checks])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="strikebench leaderboard verify", description=__doc__.splitlines()[0])
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
