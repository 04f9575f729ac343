"""Sanity check of the model zoo: with its default config, every personalised model beats Pop.

Runs every model of conf/model at p = 0 (no strike), seed 0, default trainer, on ML-100K through
strikebench's own cell runner (``strikebench.app.sweep.compose_cell`` + ``strikebench.app.cell.run_cell``),
prints a table and writes it as JSON. Each model is compared with Pop on the same split:
general models on the default split (per user random 80/10/10), sequential models on
split=sequential (time-ordered leave-one-out), where Pop is run again.

    python benchmarks/sanity_zoo.py                       # every model, default settings
    python benchmarks/sanity_zoo.py --models pop,bpr,sasrec
    python benchmarks/sanity_zoo.py --reduced sasrec,bert4rec   # documented reduced settings
    python benchmarks/sanity_zoo.py --out sanity.json --results-dir /tmp/sanity

``--reduced`` applies REDUCED's overrides to the named models only (slow on CPU); the table
marks them. The cells are stored under --results-dir like any other, so a second run reuses
them (``--force`` reruns).
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch
import yaml

from strikebench.app.cell import run_cell
from strikebench.config.paths import CONF_DIR, config_options
from strikebench.app.sweep import compose_cell

SPLITS = {"default": [], "sequential": ["split=sequential"]}
# Settings for models too slow for a CPU run with their defaults (named with --reduced only).
REDUCED = {
    "sasrec": ["model.params.MAX_ITEM_LIST_LENGTH=20"],
    "bert4rec": ["model.params.MAX_ITEM_LIST_LENGTH=20"],
    "gru4rec": ["model.params.MAX_ITEM_LIST_LENGTH=20"],
}


def family_of(name: str) -> str:
    return yaml.safe_load((CONF_DIR / "model" / f"{name}.yaml").read_text())["family"]


def run_model(name: str, split: str, args, reduced: bool) -> dict:
    overrides = [f"model={name}", "strike.participation=0", "seed=0", f"results_dir={args.results_dir}",
                 *SPLITS[split], *(REDUCED.get(name, []) if reduced else []), *args.override]
    if args.force:
        overrides.append("force=true")
    cfg = compose_cell(overrides)
    started = time.perf_counter()
    outcome = run_cell(cfg, log=lambda message: None)
    record = outcome.record
    company = record["companies"]["incumbent"]
    return {
        "model": cfg.model.name,
        "config": name,
        "family": record["config"]["model"]["family"],
        "split": split,
        "ndcg@10": company["metrics"]["holdout"]["all"]["ndcg@10"],
        "epochs": company["training"]["epochs"],
        "best_epoch": company["training"]["best_epoch"],
        "seconds": record["timings"]["total"],  # as measured when the cell ran (also if reused now)
        "reused": not outcome.ran,
        "wall_seconds": round(time.perf_counter() - started, 1),
        "reduced": REDUCED.get(name) if reduced else None,
        "overrides": overrides,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(config_options("model")), help="comma-separated conf/model names")
    parser.add_argument("--reduced", default="", help="comma-separated models run with REDUCED's overrides")
    parser.add_argument("--override", action="append", default=[], help="extra Hydra override for every cell")
    parser.add_argument("--results-dir", default="results/sanity_zoo")
    parser.add_argument("--out", default="sanity_zoo.json")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--force", action="store_true", help="rerun cells whose record exists")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    models = [m for m in args.models.split(",") if m]
    reduced = {m for m in args.reduced.split(",") if m}
    unknown = [m for m in models if m not in config_options("model")]
    if unknown:
        parser.error(f"unknown models {unknown}; known: {config_options('model')}")
    sequential = [m for m in models if family_of(m) == "sequential"]
    plan = [(m, "default") for m in ["pop", *models] if m not in sequential]
    if sequential:
        plan += [(m, "sequential") for m in ["pop", *sequential]]
    plan = list(dict.fromkeys(plan))  # pop once per split

    rows = []
    out = Path(args.out)
    for name, split in plan:
        print(f"running {name} (split={split}{', reduced' if name in reduced else ''}) ...", file=sys.stderr, flush=True)
        rows.append(run_model(name, split, args, name in reduced))
        _write(out, rows, args)  # partial results survive an interrupted run

    pop = {r["split"]: r["ndcg@10"] for r in rows if r["config"] == "pop"}
    for r in rows:
        personalised = r["family"] != "non_personalised"
        r["beats_pop"] = (r["ndcg@10"] > pop[r["split"]]) if personalised else None
    _write(out, rows, args)
    print(table(rows))
    failing = [r["model"] for r in rows if r["beats_pop"] is False]
    if failing:
        print(f"\npersonalised models that do not beat Pop: {', '.join(failing)}", file=sys.stderr)
    return 1 if failing else 0


def _write(path: Path, rows: list[dict], args) -> None:
    payload = {
        "created_at": time.strftime("%Y-%m-%d %H:%M:%S%z"),
        "dataset": "ml-100k", "participation": 0, "seed": 0, "trainer": "default",
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpu_threads": torch.get_num_threads(), "cuda": torch.cuda.is_available()},
        "rows": rows,
    }
    path.write_text(json.dumps(payload, indent=2))


def table(rows: list[dict]) -> str:
    lines = ["| model | family | split | NDCG@10 | beats Pop? | epochs (best) | seconds |",
             "| --- | --- | --- | ---: | --- | ---: | ---: |"]
    for r in rows:
        beats = {True: "yes", False: "**no**", None: "—"}[r.get("beats_pop")]
        name = r["model"] + (" (reduced)" if r["reduced"] else "")
        seconds = r["seconds"]
        best = "—" if r["best_epoch"] is None else r["best_epoch"]
        lines.append(f"| {name} | {r['family']} | {r['split']} | {r['ndcg@10']:.4f} | {beats} | "
                     f"{r['epochs']} ({best}) | {seconds:.0f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
