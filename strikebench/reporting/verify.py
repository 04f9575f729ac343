"""Checking a leaderboard's manifest (``strikebench leaderboard verify``): the manifest is a claim.

The command (strikebench.app.verify) re-runs K cells drawn from the manifest. This module says
what must hold, and never takes the rules from the manifest it checks:

- every cell entry agrees with its own config (its key is the config's hash; model, seed, lever,
  participation; ``deterministic`` as strikebench's rule for the model says) and publishes every
  metric of its config for every company, view and group (:func:`cell_problems`);
- a re-run cell has the same participants (their SHA-256), the same companies, and every value it
  measures is published and within strikebench's tolerance (strikebench.reporting.tolerances):
  a published value the re-run lacks, or one it measures that is not published, is a mismatch;
- no config in the manifest names code to import (``package.module:Class``, a model class by its
  import path, ``_target_``) unless the user allows it (:func:`code_names`).

That the leaderboard files agree with the manifest is strikebench.reporting.board_files.
"""
from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pandas as pd

from strikebench.reporting import tolerances
from strikebench.reporting.formatting import participation
from strikebench.reporting.manifest import BadManifest, cell_entry
from strikebench.results.keys import cell_key
from strikebench.results.record import CellRecord
from strikebench.results.table import lever_label
from strikebench.results.vocabulary import GROUPS, VIEWS

# What a re-run must reproduce exactly, besides the metric values.
IDENTITY = ("dataset", "model", "lever", "selector", "participation", "seed", "participants_sha256", "companies")


@dataclass
class CellCheck:
    cell_key: str
    model: str
    lever: str
    participation: float
    seed: int
    kind: str  # tolerances.DETERMINISTIC or tolerances.TRAINED
    max_difference: float = 0.0
    worst_metric: str = ""
    mismatches: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def code_names(config: dict) -> list[str]:
    """The fields of ``config`` that would make strikebench import code: a selector or lever
    named ``package.module:Class``, a model named by its import path, a Hydra ``_target_``.
    The ``logger`` section is not walked: a re-run replaces it with ``logger=local``."""
    found = []

    def walk(node, path):
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            at = f"{path}.{key}" if path else str(key)
            if at == "logger":
                continue
            if key == "_target_" or (key == "name" and isinstance(value, str) and ":" in value):
                found.append(f"{at}={value!r}")
            walk(value, at)

    walk(config, "")
    model = (config.get("model") or {}).get("name") if isinstance(config.get("model"), dict) else None
    if isinstance(model, str) and "." in model and ":" not in model:
        found.append(f"model.name={model!r}")
    return found


def refuse_code(manifest: dict, allow_code: bool) -> None:
    """BadManifest naming the first cell whose config names code, unless ``allow_code``."""
    if allow_code:
        return
    for cell in manifest["cells"]:
        names = code_names(cell["config"]) + ([f"model={cell['model']!r}"] if "." in cell["model"] or ":" in cell["model"] else [])
        if names:
            raise BadManifest(f"cell {cell['cell_key']} names code to import ({', '.join(names)}); a manifest "
                              "never makes strikebench import code: pass --allow-code if you trust it")


def kind_of(cell: dict) -> str:
    """The rule a cell's model gets (from its config's model name); BadManifest for no model."""
    try:
        return tolerances.model_kind(cell["config"]["model"]["name"])
    except (KeyError, TypeError, ValueError) as exc:
        raise BadManifest(f"cell {cell['cell_key']}: config.model.name names no model ({exc})") from None


def cell_problems(cell: dict, kind: str) -> list[str]:
    """What does not hold in a manifest's cell entry by itself (no re-run needed)."""
    config = cell["config"]
    try:
        derived = {"cell_key": cell_key(config), "model": config["model"]["name"], "seed": config["seed"],
                   "participation": float(config["strike"]["participation"]),
                   "lever": lever_label(config["strike"]["lever"]), "dataset": config["dataset"]["name"]}
        selector = config["strike"]["selector"]["name"]
    except (KeyError, TypeError, ValueError) as exc:
        return [f"config: incomplete ({type(exc).__name__}: {exc})"]
    problems = [f"{name}: {cell[name]!r}, but its config gives {value!r}"
                for name, value in derived.items() if cell[name] != value]
    if cell["selector"].split(":", 1)[0] != selector:
        problems.append(f"selector: {cell['selector']!r}, but its config's selector is {selector!r}")
    if cell["deterministic"] != (kind == tolerances.DETERMINISTIC):
        problems.append(f"deterministic: {cell['deterministic']}, but {derived['model']} is {kind} "
                        "(strikebench's rule, by RecBole model type)")
    return problems + published_problems(cell, config)


def published_problems(cell: dict, config: dict) -> list[str]:
    """Every company, view and group publishes the config's metrics and its user count, the same
    metrics everywhere; a value is null exactly when its group has no users."""
    published, metrics = cell["published"], defaultdict(set)
    for name in published:
        parts = name.split("/")
        if len(parts) != 4 or parts[0] not in cell["companies"]:
            return [f"published: {name!r} is not company/view/group/metric of a company of the cell"]
        metrics[tuple(parts[:3])].add(parts[3])
    evaluation = config.get("eval") or {}
    required = {f"{m}@{k}" for k in evaluation.get("ks") or () for m in evaluation.get("metrics") or ()}
    required.add(tolerances.N_USERS)
    every = [(c, v, g) for c in cell["companies"] for v in VIEWS for g in GROUPS]
    # what most groups hold, and at least what the config asks for: one forged group stands out
    reference = Counter(frozenset(metrics.get(g, ())) for g in every).most_common(1)[0][0] | required
    for group in every:
        missing = sorted(reference - metrics.get(group, set()))
        extra = sorted(metrics.get(group, set()) - reference)
        if missing:
            return [f"published: {'/'.join(group)} lacks {', '.join(missing)}"]
        if extra:
            return [f"published: {'/'.join(group)} has {', '.join(extra)}, which the cell's other groups have not"]
    for name, value in published.items():
        count = published.get(name.rsplit("/", 1)[0] + "/" + tolerances.N_USERS)
        if not name.endswith("/" + tolerances.N_USERS) and (value is None) != (count == 0):
            return [f"published: {name} is {value} over {count} users (a value is null exactly when no user is)"]
    return []


def compare(published: dict, fresh: dict, kind: str, check: CellCheck) -> None:
    """Every value, published or measured by the re-run, within ``kind``'s tolerance."""
    for name in sorted(published.keys() | fresh.keys()):
        if name not in fresh:
            check.mismatches.append(f"{name}: published {published[name]}, but the re-run has no such value")
            continue
        if name not in published:
            check.mismatches.append(f"{name}: not published (the re-run gives {fresh[name]})")
            continue
        old, new = published[name], fresh[name]
        if old is None or new is None:
            if (old is None) != (new is None):
                check.mismatches.append(f"{name}: published {old}, now {new}")
            continue
        diff = abs(float(new) - float(old))
        tolerance = tolerances.metric_tolerance(kind, name)
        if diff > check.max_difference:
            check.max_difference, check.worst_metric = diff, name
        if diff > tolerance:
            check.mismatches.append(f"{name}: published {old:.6g}, now {new:.6g} (|Δ| = {diff:.3g} > {tolerance:g})")


def compare_record(entry: dict, record: CellRecord, check: CellCheck) -> None:
    """A re-run ``record`` against its manifest ``entry``: the same participants and companies,
    and every value published and within tolerance."""
    fresh = cell_entry(record, check.kind == tolerances.DETERMINISTIC)
    for name in IDENTITY:
        if fresh[name] != entry[name]:
            check.mismatches.append("participants differ from the published draw" if name == "participants_sha256"
                                    else f"{name}: published {entry[name]!r}, the re-run gives {fresh[name]!r}")
    compare(entry["published"], fresh["published"], check.kind, check)


def sample_cells(manifest: dict, k: int, seed: int) -> list[dict]:
    cells = sorted(manifest["cells"], key=lambda c: c["cell_key"])
    if k <= 0:
        raise BadManifest("--cells: must be at least 1")
    return random.Random(seed).sample(cells, min(k, len(cells)))


def summary_table(checks: list[CellCheck]) -> pd.DataFrame:
    return pd.DataFrame([{
        "cell": c.cell_key, "model": c.model, "lever": c.lever, "p": participation(c.participation), "seed": c.seed,
        "kind": c.kind, "tolerance": tolerances.describe(c.kind), "max |Δ|": f"{c.max_difference:.3g}",
        "worst metric": c.worst_metric, "result": "ok" if c.ok else f"MISMATCH ({len(c.mismatches)})",
    } for c in checks])
