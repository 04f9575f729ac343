"""Benchmark strikebench's data path and evaluator against RecBole's own pipeline.

    python -m benchmarks.run --preset ml100k --out results.json
    python -m benchmarks.run --preset cpu --threads 1 --out cpu.json
    python -m benchmarks.run --preset gpu --out gpu.json          # one H100/H200, < 10 minutes
    python -m benchmarks.run --preset full --out full.json        # every size and model, a big GPU
    python -m benchmarks.run --preset study --out study.json      # 64 BPR cells of a study, three ways

Each (dataset, model) job runs in its own process (memory peaks are per job); results are a
table on stdout and one JSON file (``--out``) with every stage's time and memory, both sides'
metrics, ratios and per-interaction / per-(user x item) scaling. Every stage records its wall
time and its process CPU time: on a shared machine the CPU time is the steadier of the two.

``--preset study`` is different: the cells of a random-strike study trained one by one on each
data path and stacked (``benchmarks/study.py``), in this process; ``--cells`` makes it smaller.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.report import scaling_table, study_table, summarise, table, targets_table

# Each job: (dataset, model, overrides). SASRec on CPU trains only a few batches per epoch
# (RecBole needs minutes per ML-100K epoch here); its epoch time is extrapolated and flagged.
PRESETS = {
    "ml100k": dict(device="cpu", batch_size=2048, epochs=5, eval_repeats=7, jobs=[
        ("ml-100k", "bpr", dict(cell_setup=True, recbole_loader_lightning=True, recbole_default_eval=True)),
        ("ml-100k", "lightgcn", dict(recbole_default_eval=True)),
        ("ml-100k", "multivae", dict(recbole_default_eval=True)),
        ("ml-100k", "sasrec", dict(train_steps=5, epochs=1)),
    ]),
    "cpu": dict(device="cpu", batch_size=4096, epochs=1, jobs=[
        ("syn1m", "bpr", dict(cell_setup=True, recbole_loader_lightning=True, recbole_default_eval=True)),
        ("syn1m", "lightgcn", dict()),
        ("syn1m", "multivae", dict()),
        ("syn1m", "sasrec", dict(train_steps=3)),
    ]),
    "cpu4m": dict(device="cpu", batch_size=4096, epochs=1, jobs=[
        ("syn4m", "bpr", dict(cell_setup=True)),
    ]),
    # One H100/H200 in one 10-minute run: three models at 4M, both pipelines.
    "gpu": dict(device="cuda", batch_size=4096, epochs=2, jobs=[
        ("syn4m", "bpr", dict(cell_setup=True, recbole_loader_lightning=True, recbole_default_eval=True)),
        ("syn4m", "lightgcn", dict(epochs=1)),
        ("syn4m", "multivae", dict()),
    ]),
    # Per-cell setup only (levers + company views vs create_dataset + data_preparation), every size.
    "setup": dict(device="cpu", batch_size=4096, epochs=1, jobs=[
        (d, "bpr", dict(cell_setup=True, setup_only=True)) for d in ("ml-100k", "syn1m", "syn4m", "syn20m")
    ]),
    "full": dict(device="cuda", batch_size=4096, epochs=2, jobs=[
        (d, m, dict(cell_setup=m == "bpr", recbole_default_eval=True, **({"train_steps": 50} if m == "sasrec" else {})))
        for d in ("ml-100k", "syn1m", "syn4m", "syn20m") for m in ("bpr", "lightgcn", "multivae", "sasrec")
    ]),
}


def job_specs(args) -> list[dict]:
    preset = PRESETS[args.preset]
    specs = []
    for dataset, model, overrides in preset["jobs"]:
        if (args.models and model not in args.models) or (args.datasets and dataset not in args.datasets):
            continue
        spec = dict(dataset=dataset, model=model, device=args.device or preset["device"],
                    batch_size=args.batch_size or preset["batch_size"], epochs=preset["epochs"], seed=args.seed,
                    eval_users_per_batch=args.eval_users_per_batch, threads=args.threads,
                    eval_repeats=preset.get("eval_repeats", 1),
                    data_dir=str(Path(args.data_dir).resolve()))
        spec.update(overrides)
        if args.epochs:
            spec["epochs"] = args.epochs
        specs.append(spec)
    return specs


STUDY = dict(device="cpu", cells=64, stack=64)


def run_study(args) -> int:
    """``--preset study``: one JSON with a top-level ``"study"`` object (benchmarks/study.py)."""
    import torch

    from benchmarks.job import environment
    from benchmarks.study import study

    if args.threads:
        torch.set_num_threads(args.threads)
    argv = sys.argv[1:]
    sys.argv = sys.argv[:1]  # RecBole's Config reads sys.argv
    result = study(args.cells or STUDY["cells"], args.stack or STUDY["stack"], args.device or STUDY["device"],
                   args.max_epochs)
    report = {"preset": "study", "argv": argv, "environment": environment(), **result}
    Path(args.out).write_text(json.dumps(report, indent=1, default=float))
    print(study_table(report))
    print(f"\nwrote {args.out}")
    return 0


def run_job(spec: dict, timeout: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="sb-bench-") as tmp:
        spec = dict(spec, work_dir=str(Path(tmp) / "work"))
        spec_path, out_path = Path(tmp) / "spec.json", Path(tmp) / "out.json"
        spec_path.write_text(json.dumps(spec))
        started = time.perf_counter()
        try:
            proc = subprocess.run([sys.executable, "-m", "benchmarks.job", str(spec_path), str(out_path)],
                                  cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"spec": spec, "error": f"timed out after {timeout:.0f} s"}
        if proc.returncode != 0 or not out_path.is_file():
            return {"spec": spec, "error": proc.stderr[-4000:], "seconds": time.perf_counter() - started}
        return json.loads(out_path.read_text())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", choices=sorted([*PRESETS, "study"]), default="ml100k")
    parser.add_argument("--out", default="benchmark-results.json")
    parser.add_argument("--device", help="override the preset's device (cpu, cuda)")
    parser.add_argument("--models", nargs="*", help="only these models (bpr lightgcn multivae sasrec)")
    parser.add_argument("--datasets", nargs="*", help="only these datasets (ml-100k syn1m syn4m syn20m)")
    parser.add_argument("--epochs", type=int, help="override epochs per training variant")
    parser.add_argument("--batch-size", type=int, help="training batch size, both pipelines")
    parser.add_argument("--eval-users-per-batch", type=int, default=1024)
    parser.add_argument("--threads", type=int, help="torch CPU threads (both pipelines)")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per job")
    parser.add_argument("--data-dir", default=os.environ.get("STRIKEBENCH_BENCH_DATA",
                                                             str(Path.home() / ".cache/strikebench/bench")))
    parser.add_argument("--cells", type=int, help="study: cells of the study (default 64)")
    parser.add_argument("--stack", type=int, help="study: cells trained together when stacked (default 64)")
    parser.add_argument("--max-epochs", type=int, help="study: override trainer.max_epochs (default 30)")
    parser.add_argument("--table", metavar="RESULTS_JSON", help="only print the table of an earlier run")
    args = parser.parse_args(argv)
    if args.table:
        report = json.loads(Path(args.table).read_text())
        if "study" in report:
            print(study_table(report))
            return 0
        jobs = report["jobs"]
        for job in jobs:  # recomputed, so that the table follows the current report code
            if "error" not in job:
                job["summary"] = summarise(job)
        print(table(jobs) + "\n\n" + scaling_table(jobs) + "\n\n" + targets_table(jobs))
        return 0
    if args.preset == "study":
        return run_study(args)

    results = []
    for spec in job_specs(args):
        print(f"-- {spec['dataset']} / {spec['model']} on {spec['device']} ...", flush=True)
        result = run_job(spec, args.timeout)
        if "error" in result:
            print(f"   FAILED: {result['error'][-1500:]}", flush=True)
        else:
            result["summary"] = summarise(result)
            print(f"   done in {result['job_seconds']:.0f} s", flush=True)
        results.append(result)
        report = {"preset": args.preset, "argv": sys.argv[1:], "jobs": results}
        Path(args.out).write_text(json.dumps(report, indent=1, default=float))  # after every job
    print(table(results) + "\n\n" + scaling_table(results) + "\n\n" + targets_table(results))
    print(f"\nwrote {args.out}")
    return 0 if all("error" not in r for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
