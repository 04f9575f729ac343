"""What a sweep's missing cells will cost, from costs measured before, or "unknown".

A cell's cost is the median wall time (``timings.total``) of the stored records of the same model
on the same dataset with the same epoch budget and device. Where the results directory holds none,
the measured table of docs/models.md (ML-100K, default trainer, a 2-core CPU) is the fallback, when
this checkout has it. Cells with neither are counted as unknown, never as 0 s.
"""
from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from strikebench.app.progress import duration
from strikebench.results import store

MODELS_DOC = Path(__file__).resolve().parents[2] / "docs" / "models.md"
DOC_SETTING = {"dataset": "ml-100k", "max_epochs": 30, "accelerator": "cpu"}  # what docs/models.md measured


@dataclass(frozen=True)
class Cost:
    seconds: float
    source: str  # said beside the estimate: "median of 4 records here", "docs/models.md ..."


def cost_key(config: dict) -> tuple:
    """What a cell's cost depends on most: model, dataset, epoch budget, device."""
    trainer = config.get("trainer") or {}
    return (config["model"]["name"], config["dataset"]["name"], trainer.get("max_epochs"),
            trainer.get("accelerator"))


def measured_costs(results_dir) -> dict[tuple, Cost]:
    """cost key -> median wall time of the records done in ``results_dir``."""
    times = defaultdict(list)
    for record in store.iter_records(results_dir):
        total = (record.get("timings") or {}).get("total")
        if total is not None:
            times[cost_key(record["config"])].append(float(total))
    return {key: Cost(statistics.median(values), f"median of {len(values)} record{'s' * (len(values) > 1)} here")
            for key, values in times.items()}


def documented_costs(path: Path = MODELS_DOC) -> dict[tuple, Cost]:
    """cost key -> the seconds of docs/models.md's measured table (random-order split rows)."""
    if not path.is_file():
        return {}
    costs = {}
    row = re.compile(r"^\| (\w+) \| \w+ \| default \| [\d.]+ \|.*\| (\d+) \|$")
    for line in path.read_text(encoding="utf-8").splitlines():
        match = row.match(line)
        if match:
            key = (match[1], DOC_SETTING["dataset"], DOC_SETTING["max_epochs"], DOC_SETTING["accelerator"])
            costs[key] = Cost(float(match[2]), "docs/models.md (ML-100K, 2-core CPU)")
    return costs


def cost_of(config: dict, measured: dict, documented: dict) -> Cost | None:
    key = cost_key(config)
    if key in measured:
        return measured[key]
    if (config.get("split") or {}).get("order", "RO") == "RO":  # the table's rows: default split
        return documented.get(key)
    return None


def time_left_line(missing: list[tuple[str, Cost | None]]) -> str:
    """``estimated time left: 12 min for 20 cells; unknown for 4 cells of NeuMF (no measured cost)``.

    ``missing`` holds (model, its cost or None) per missing cell."""
    known = [cost.seconds for _, cost in missing if cost is not None]
    unknown = Counter(model for model, cost in missing if cost is None)
    parts = [f"{duration(sum(known))} for {_cells(len(known))}"] if known or not unknown else []
    if unknown:
        of = ", ".join(f"{_cells(count)} of {model}" for model, count in sorted(unknown.items()))
        parts.append(f"unknown for {of} (no measured cost)")
    return "estimated time left: " + "; ".join(parts)


def _cells(n: int) -> str:
    return f"{n} cell{'s' * (n != 1)}"
