"""A whole study: the BPR cells of a random-strike study on ML-100K, trained three ways, timed.

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
- ``stacked:K``: K cells at a time (``stacked_s``), from ``strikebench.training.stacked``; see
  :func:`stacked_variant`.
"""
from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch


@dataclass
class Cell:
    name: str
    participation: float
    seed: int
    train: np.ndarray  # the incumbent's rows after the strike
    valid: np.ndarray


def study_config(overrides=()):
    from hydra import compose

    from strikebench.config.paths import config_context

    with config_context():
        return compose("config", overrides=["model=bpr", *overrides])


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


def strike_cells(cfg, data, split, n: int) -> list[Cell]:
    """The incumbent's rows in each of the first ``n`` cells of the study."""
    from strikebench.levers.build import apply_strike_config

    cells = []
    for participation, seed in study_cells(n):
        cfg.strike.participation = participation
        view = apply_strike_config(cfg.strike, seed, data, split, cfg.split).companies["incumbent"]
        cells.append(Cell(f"p{participation}-s{seed}", participation, seed, view.train, view.valid))
    return cells


def ndcg_on_test(data, split, cell: Cell, score_fn, device: str) -> float:
    """NDCG@10 on the fixed test set, as a cell evaluates its company (train + valid masked)."""
    from strikebench.evaluation.evaluator import EvalContext, evaluate

    ctx = EvalContext.for_company(data, cell.train, (data.user[split.test], data.item[split.test]), ks=[10],
                                  metrics=("ndcg",), device=device,
                                  history_rows=np.concatenate([cell.train, cell.valid]))
    return float(evaluate(score_fn, ctx)["ndcg@10"].mean())


def fit_alone(cfg, data, split, cell: Cell, device: str, work_dir: Path):
    """One cell's incumbent trained as ``strikebench`` trains it (``fit_company``)."""
    from omegaconf import OmegaConf

    from strikebench.evaluation.validation import validation_metric
    from strikebench.training.fit import fit_company

    cell_cfg = OmegaConf.merge(cfg, {"seed": cell.seed, "strike": {"participation": cell.participation}})
    validate = validation_metric(data, cell.train, cell.valid, str(cfg.trainer.monitor), device,
                                 int(cfg.trainer.eval_batch_size))
    return fit_company(cell_cfg, data, split, cell.train, cell.valid, device, work_dir, validate)


def run_alone(cfg, data_path: str, data, split, cells: list[Cell], device: str) -> dict:
    """Train and test ``cells`` one by one on ``data_path``; wall and CPU time, epochs, NDCG@10."""
    from omegaconf import OmegaConf

    path_cfg = OmegaConf.merge(cfg, {"trainer": {"data_path": data_path}})
    return timed(data_path, len(cells), lambda work: [_alone(path_cfg, data, split, c, device, work / c.name)
                                                      for c in cells], device)


def _alone(cfg, data, split, cell, device, work_dir) -> tuple[int, float]:
    fit = fit_alone(cfg, data, split, cell, device, work_dir)
    return fit.epochs, ndcg_on_test(data, split, cell, fit.score_fn, device)


def timed(variant: str, n_cells: int, train_and_test, device: str) -> dict:
    """Run ``train_and_test(work_dir) -> [(epochs, test NDCG@10) per cell]`` and time it."""
    load_before = os.getloadavg()[0]
    _sync(device)
    started, cpu_started = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory(prefix="sb-study-") as work:
        per_cell = train_and_test(Path(work))
    _sync(device)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    epochs, ndcg = zip(*per_cell)
    return {"variant": variant, "cells": n_cells, "seconds": seconds, "cpu_seconds": cpu_seconds,
            "cells_per_hour": 3600 * n_cells / seconds, "epochs_mean": float(np.mean(epochs)),
            "test_ndcg": list(ndcg), "test_ndcg_mean": float(np.mean(ndcg)),
            "load_average_1min": [load_before, os.getloadavg()[0]]}


def stacked_variant(cfg, data, split, n_cells: int, k: int, device: str) -> dict | None:
    """HOOK for the coordinator: the same cells stacked ``k`` at a time (``trainer.stack``).

    Stacked training lives on branch s13-stack (``strikebench/training/stacked/``,
    ``benchmarks/stacked_study.py``). Once it is merged, this runs its ``run_variant`` on the same
    cells; until then it returns None and the study reports ``stacked_s: null``.
    """
    try:
        from benchmarks.stacked_study import run_variant, strike_members, warm_up
    except ImportError:
        return None
    members = strike_members(cfg, data, split, study_cells(n_cells), device)
    warm_up(cfg, data, split, members, device, [f"stacked:{k}"])
    return run_variant(cfg, f"stacked:{k}", data, split, members, device)


def summary(variants: dict, k: int) -> dict:
    """The ``"study"`` object: wall seconds of each way, cells per hour, and the speed-ups."""
    sequential, fast = variants["recbole"]["seconds"], variants["fast"]["seconds"]
    stacked = variants.get(f"stacked:{k}")
    stacked_s = stacked["seconds"] if stacked else None
    return {"cells": variants["recbole"]["cells"], "stack": k, "sequential_s": sequential, "fast_s": fast,
            "stacked_s": stacked_s, "speedup": sequential / stacked_s if stacked_s else None,
            "fast_speedup": sequential / fast,
            "cells_per_hour": {name: v["cells_per_hour"] for name, v in variants.items()}}


def study(n_cells: int = 64, k: int = 64, device: str = "cpu", max_epochs: int | None = None) -> dict:
    """The study three ways: ``{"study": summary, "variants": {name: timings}, "levers_s": ...}``."""
    from strikebench.data.cache import get_split

    cfg = study_config([f"trainer.max_epochs={max_epochs}"] if max_epochs else [])
    data, split = get_split(cfg.dataset, cfg.data_root, cfg.split)
    started = time.perf_counter()
    cells = strike_cells(cfg, data, split, n_cells)
    levers_s = time.perf_counter() - started
    warm_up(cfg, data, split, cells, device)
    variants = {}
    for path in ("recbole", "fast"):
        print(f"-- {len(cells)} cells one by one, trainer.data_path={path} ...", flush=True)
        variants[path] = run_alone(cfg, path, data, split, cells, device)
    print(f"-- {len(cells)} cells stacked {k} at a time ...", flush=True)
    stacked = stacked_variant(cfg, data, split, n_cells, k, device)
    if stacked is not None:
        variants[f"stacked:{k}"] = stacked
    out = {"study": summary(variants, k), "variants": variants, "levers_s": levers_s,
           "max_epochs": int(cfg.trainer.max_epochs)}
    if stacked is None:
        out["notes"] = ["stacked: not on this branch (benchmarks.study.stacked_variant is the hook)"]
    return out


def warm_up(cfg, data, split, cells, device: str) -> None:
    """One one-epoch fit per path, so that first-use costs (imports, lazy init) count nowhere."""
    from omegaconf import OmegaConf

    short = OmegaConf.merge(cfg, {"trainer": {"max_epochs": 1}})
    for path in ("recbole", "fast"):
        run_alone(short, path, data, split, cells[:1], device)


def _sync(device: str) -> None:
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()
