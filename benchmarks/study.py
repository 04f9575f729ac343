"""A whole study: the BPR cells of a random-strike study on ML-100K, trained one by one or K at
a time, timed. Used by ``benchmarks.run --preset study`` (three ways) and ``benchmarks.stacked``
(cells per hour for several K).

    python -m benchmarks.run --preset study --out study.json             # 64 cells
    python -m benchmarks.run --preset study --cells 8 --max-epochs 2     # a smoke run

The cells are the first ``cells`` (participation, seed) pairs of the grid of
``conf/experiment/data_strikes_random.yaml``: every level for seed 0, then seed 1, ...
Every way does the same work per cell: train the incumbent's model (early stopping on its own
validation data, ``trainer.max_epochs`` at most) and evaluate it on the fixed test set. Drawing
the participants and applying the strike is the same for every way and is timed once, apart
(``levers_s``); writing records is the orchestrator's and is not timed.

- ``recbole``: one by one with ``fit_company`` on RecBole's loader (the default before
  ``trainer.data_path=auto``; ``sequential_s``);
- ``fast``: one by one on the fast path (what ``auto`` picks for BPR; ``fast_s``);
- ``stacked:K``: K cells at a time with ``strikebench.training.stacked.fit_stacked``
  (``trainer.stack=K``; ``stacked_s``).
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch


def study_config(model: str = "bpr", overrides=()):
    from hydra import compose

    from strikebench.config.paths import config_context

    with config_context():
        return compose("config", overrides=[f"model={model}", *overrides])


def study_levels() -> list[float]:
    """The participation grid of the random-strike study, as its experiment config sweeps it."""
    from omegaconf import OmegaConf

    from strikebench.config.paths import CONF_DIR

    params = OmegaConf.load(CONF_DIR / "experiment" / "data_strikes_random.yaml").hydra.sweeper.params
    return [float(p) for p in str(params["strike.participation"]).split(",")]


def study_cells(n: int) -> list[tuple[float, int]]:
    """The first ``n`` (participation, seed) cells: every level for seed 0, then seed 1, ..."""
    levels = study_levels()
    return [(p, seed) for seed in range(n // len(levels) + 1) for p in levels][:n]


def strike_members(cfg, data, split, cells, device: str = "cpu") -> list:
    """The incumbent of each (participation, seed) cell of a random data strike, as a StackMember
    (its rows after the strike, its seed and its validation metric)."""
    from strikebench.evaluation.validation import validation_metric
    from strikebench.levers.build import apply_strike_config
    from strikebench.training.stacked import StackMember

    members = []
    for participation, seed in cells:
        cfg.strike.participation = participation
        view = apply_strike_config(cfg.strike, seed, data, split, cfg.split).companies["incumbent"]
        validate = validation_metric(data, view.train, view.valid, str(cfg.trainer.monitor), device,
                                     int(cfg.trainer.eval_batch_size))
        members.append(StackMember(f"p{participation}-s{seed}", data, view.train, view.valid, seed, validate))
    return members


def prepare(cfg, n_cells: int, device: str = "cpu"):
    """(data, split, members, levers seconds) of the study's first ``n_cells`` cells."""
    from strikebench.data.cache import get_split

    data, split = get_split(cfg.dataset, cfg.data_root, cfg.split)
    started = time.perf_counter()
    members = strike_members(cfg, data, split, study_cells(n_cells), device)
    return data, split, members, time.perf_counter() - started


def ndcg_on_test(data, split, member, score_fn, device: str = "cpu") -> float:
    """NDCG@10 on the fixed test set, as a cell evaluates its company (train + valid masked)."""
    from strikebench.evaluation.evaluator import EvalContext, evaluate

    ctx = EvalContext.for_company(data, member.train_rows, (data.user[split.test], data.item[split.test]), ks=[10],
                                  metrics=("ndcg",), device=device,
                                  history_rows=np.concatenate([member.train_rows, member.valid_rows]))
    return float(evaluate(score_fn, ctx)["ndcg@10"].mean())


def run_variant(cfg, variant: str, data, split, members, device: str = "cpu") -> dict:
    """Train and test ``members`` one way (``recbole``, ``fast`` or ``stacked:K``): wall and CPU
    time, cells per hour, epochs and each cell's test NDCG@10."""
    from omegaconf import OmegaConf

    from strikebench.training.stacked import fit_alone, fit_stacked

    def train_and_test(work: Path) -> list[tuple[int, float]]:
        if variant.startswith("stacked:"):
            k, out = int(variant.split(":")[1]), []
            for start in range(0, len(members), k):
                group = members[start:start + k]
                fits = fit_stacked(cfg, group, device, work / str(start)).results
                out += [(f.epochs, ndcg_on_test(data, split, m, f.score_fn, device)) for m, f in zip(group, fits)]
            return out
        path_cfg = OmegaConf.merge(cfg, {"trainer": {"data_path": variant}})
        fits = [fit_alone(path_cfg, m, split, device, work / str(i)) for i, m in enumerate(members)]
        return [(f.epochs, ndcg_on_test(data, split, m, f.score_fn, device)) for m, f in zip(members, fits)]

    load_before = os.getloadavg()[0]
    _sync(device)
    started, cpu_started = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory(prefix="sb-study-") as work:
        epochs, ndcg = zip(*train_and_test(Path(work)))
    _sync(device)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    return {"variant": variant, "cells": len(members), "seconds": seconds, "cpu_seconds": cpu_seconds,
            "cells_per_hour": 3600 * len(members) / seconds, "epochs_mean": float(np.mean(epochs)),
            "test_ndcg": list(ndcg), "test_ndcg_mean": float(np.mean(ndcg)),
            "load_average_1min": [load_before, os.getloadavg()[0]]}


def warm_up(cfg, data, split, members, device: str, variants) -> None:
    """One short fit per kind of variant, so that first-use costs (imports, lazy init) count nowhere."""
    from omegaconf import OmegaConf

    short = OmegaConf.merge(cfg, {"trainer": {"max_epochs": 1}})
    for variant in sorted({v.split(":")[0] for v in variants}):
        run_variant(short, "stacked:2" if variant == "stacked" else variant, data, split, members[:2], device)


def summary(variants: dict, k: int) -> dict:
    """The ``"study"`` object: wall seconds of each way, cells per hour, and the speed-ups."""
    sequential, fast, stacked = (variants[v]["seconds"] for v in ("recbole", "fast", f"stacked:{k}"))
    return {"cells": variants["recbole"]["cells"], "stack": k, "sequential_s": sequential, "fast_s": fast,
            "stacked_s": stacked, "speedup": sequential / stacked, "fast_speedup": sequential / fast,
            "cells_per_hour": {name: v["cells_per_hour"] for name, v in variants.items()}}


def study(n_cells: int = 64, k: int = 64, device: str = "cpu", max_epochs: int | None = None) -> dict:
    """The study three ways: ``{"study": summary, "variants": {name: timings}, "levers_s": ...}``."""
    cfg = study_config(overrides=[f"trainer.max_epochs={max_epochs}"] if max_epochs else [])
    data, split, members, levers_s = prepare(cfg, n_cells, device)
    ways = ["recbole", "fast", f"stacked:{k}"]
    warm_up(cfg, data, split, members, device, ways)
    variants = {}
    for way in ways:
        print(f"-- {len(members)} cells, {way} ...", flush=True)
        variants[way] = run_variant(cfg, way, data, split, members, device)
    return {"study": summary(variants, k), "variants": variants, "levers_s": levers_s,
            "max_epochs": int(cfg.trainer.max_epochs)}


def _sync(device: str) -> None:
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()
