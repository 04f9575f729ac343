"""Comparing re-run cells with a leaderboard's published values (``strikebench leaderboard verify``).

The command (strikebench.app.verify) re-runs K cells drawn from the manifest; this module says
how close each new value must be to the published one, and collects the differences:

- deterministic models (no trainable step: Pop, ItemKNN, EASE ...): exactly equal on the machine
  that built the manifest, within 1e-6 elsewhere;
- trained models: within the manifest's ``tolerances.trained`` (absolute, per metric: 0.02, and
  0.05 for hit and mrr; docs/reports.md gives the seed-to-seed spread that justifies it);
- the participant ids must be the same (their SHA-256).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

import pandas as pd

from strikebench.errors import StrikebenchError
from strikebench.reporting.formatting import participation
from strikebench.reporting.manifest import participants_hash
from strikebench.results.record import CellRecord


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


def compare_record(entry: dict, record: CellRecord, check: CellCheck) -> None:
    """A re-run ``record`` against its manifest ``entry``: the same participants, and every
    published value within ``check.tolerances``."""
    if participants_hash(record) != entry.get("participants_sha256"):
        check.mismatches.append("participants differ from the published draw")
    compare(entry["published"], record.flat_metrics(), check.tolerances, check)


def sample_cells(manifest: dict, k: int, seed: int) -> list[dict]:
    cells = sorted(manifest["cells"], key=lambda c: c["cell_key"])
    if k <= 0:
        raise StrikebenchError("--cells: must be at least 1")
    return random.Random(seed).sample(cells, min(k, len(cells)))


def describe_tolerances(tolerances: dict) -> str:
    default = tolerances.get("default", 0.0)
    others = ", ".join(f"{k} {v:g}" for k, v in tolerances.items() if k != "default")
    return f"{default:g}" + (f" ({others})" if others else "")


def summary_table(checks: list[CellCheck]) -> pd.DataFrame:
    return pd.DataFrame([{
        "cell": c.cell_key, "model": c.model, "lever": c.lever, "p": participation(c.participation), "seed": c.seed,
        "kind": c.kind, "tolerance": describe_tolerances(c.tolerances), "max |Δ|": f"{c.max_difference:.3g}",
        "worst metric": c.worst_metric, "result": "ok" if c.ok else f"MISMATCH ({len(c.mismatches)})",
    } for c in checks])
