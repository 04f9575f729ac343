"""Cells per hour: the cells of a random-strike study trained one by one or K at a time.

    python -m benchmarks.stacked --ks 1 4 16 64 --threads 2 --out stacked.json
    python -m benchmarks.stacked --ks 1 4 16 64 --threads 1 --repeats 2 --out stacked-1t.json
    python -m benchmarks.stacked --preset gpu --out stacked-gpu.json   # one H100/H200; skipped without CUDA

The same cells (BPR on ML-100K, ``--cells`` of the data_strikes_random grid) are trained one by
one on RecBole's loader (today's default) and on the fast path, and stacked K at a time for each
``--ks``; each variant also tests every cell, and the JSON keeps each cell's test NDCG@10 so
that the quality of the variants can be compared. With ``--repeats``, the variants run in turn
that many times and the fastest run counts (other processes only ever add time); the load
average before and after each run is kept with it.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

PRESETS = {
    "cpu": dict(device="cpu", cells=64, ks=[1, 4, 16, 64], paths=["recbole", "fast"]),
    # One GPU: several hundred cells in one group against the cost of a single cell; one cell at a
    # time only on alone_cells of them.
    "gpu": dict(device="cuda", cells=272, ks=[1, 16, 272], paths=["fast"], alone_cells=8),
}


def environment(threads: int) -> dict:
    import torch

    env = {"python": platform.python_version(), "torch": torch.__version__, "cpu_count": os.cpu_count(),
           "torch_threads": threads, "load_average": os.getloadavg(), "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
           "malloc_env": {k: v for k, v in os.environ.items() if k.startswith("MALLOC_")}}
    if torch.cuda.is_available():
        env["gpu"] = torch.cuda.get_device_name(0)
    return env


def table(results: dict, baselines=("recbole", "fast")) -> str:
    lines = [f"{'variant':<12} {'cells':>5} {'seconds':>9} {'cells/h':>9} {'epochs':>7} {'ndcg@10':>8} "
             + " ".join(f"{'x ' + b:>9}" for b in baselines) + "  load (before, after)"]
    for name, r in results.items():
        ratios = []
        for b in baselines:
            base = results.get(b)
            ratios.append(f"{r['cells_per_hour'] / base['cells_per_hour']:>9.2f}" if base else f"{'-':>9}")
        lines.append(f"{name:<12} {r['cells']:>5} {r['seconds']:>9.1f} {r['cells_per_hour']:>9.0f} "
                     f"{r['epochs_mean']:>7.1f} {r['test_ndcg_mean']:>8.4f} " + " ".join(ratios)
                     + f"  {r['load_average_1min'][0]:.1f}, {r['load_average_1min'][1]:.1f}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", choices=sorted(PRESETS), default="cpu")
    parser.add_argument("--ks", type=int, nargs="*", help="stack sizes (default: the preset's)")
    parser.add_argument("--cells", type=int, help="cells of the study (default: the preset's)")
    parser.add_argument("--paths", nargs="*", choices=["recbole", "fast"], help="one-by-one baselines")
    parser.add_argument("--alone-cells", type=int,
                        help="train the variants that take one cell at a time (the one-by-one paths and K=1) "
                             "on N evenly spaced cells of the study only (every level and seed alike); "
                             "cells per hour compare")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--max-epochs", type=int, help="override trainer.max_epochs (default 30)")
    parser.add_argument("--out", default="stacked.json")
    args = parser.parse_args(argv)
    preset = PRESETS[args.preset]
    out = Path(args.out)

    import torch

    from benchmarks.study import prepare, run_variant, study_config, warm_up

    if preset["device"] == "cuda" and not torch.cuda.is_available():
        out.write_text(json.dumps({"preset": args.preset, "skipped": "no CUDA device"}, indent=1))
        print(f"preset {args.preset}: skipped, no CUDA device (wrote {out})")
        return 0
    torch.set_num_threads(args.threads)
    sys.argv = sys.argv[:1]  # RecBole's Config reads sys.argv
    device = preset["device"]
    ks, n_cells = args.ks or preset["ks"], args.cells or preset["cells"]
    paths = preset["paths"] if args.paths is None else args.paths
    cfg = study_config("bpr", [f"trainer.max_epochs={args.max_epochs}"] if args.max_epochs else [])
    data, split, members, levers_s = prepare(cfg, n_cells, device)
    alone_cells = args.alone_cells or preset.get("alone_cells") or n_cells
    alone = members[::max(n_cells // alone_cells, 1)][:alone_cells]
    variants = [*paths, *(f"stacked:{k}" for k in ks)]
    warm_up(cfg, data, split, members, device, variants)
    runs: dict[str, list] = {v: [] for v in variants}
    report = {"preset": args.preset, "argv": argv if argv is not None else sys.argv[1:],
              "environment": environment(args.threads), "cells": n_cells, "levers_s": levers_s,
              "max_epochs": int(cfg.trainer.max_epochs), "runs": runs}
    for repeat in range(args.repeats):
        for variant in variants:
            cells = alone if variant in paths or variant == "stacked:1" else members
            print(f"-- repeat {repeat + 1}/{args.repeats}: {variant} on {len(cells)} cells ...", flush=True)
            runs[variant].append(run_variant(cfg, variant, data, split, cells, device))
            report["best"] = {v: min(r, key=lambda x: x["seconds"]) for v, r in runs.items() if r}
            out.write_text(json.dumps(report, indent=1, default=float))  # after every run
    print(table(report["best"], baselines=paths))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
