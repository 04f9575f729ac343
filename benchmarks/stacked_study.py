"""The cells of a random-strike study on ML-100K, trained one by one or stacked, timed.

Every variant does the same work per cell: train the incumbent's model (early stopping on its
own validation data, ``trainer.max_epochs`` at most) and evaluate it on the fixed test set.
Drawing the participants and applying the strike is the same for every variant and is timed
once, apart (``levers_s``). Writing records is the orchestrator's and is not timed here.

- ``recbole``: one by one with ``fit_company`` on RecBole's loader (today's default path);
- ``fast``: one by one with ``fit_company`` on the fast path (``trainer.data_path=fast``);
- ``stacked:K``: groups of K cells with ``fit_stacked``.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

# The participation grid of conf/experiment/data_strikes_random.yaml.
LEVELS = (0.0, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99)


def study_cells(n: int) -> list[tuple[float, int]]:
    """The first ``n`` (participation, seed) cells of the study: every level for seed 0, then seed 1, ..."""
    return [(p, seed) for seed in range(n // len(LEVELS) + 1) for p in LEVELS][:n]


def study_config(model: str = "bpr", overrides=()):
    from hydra import compose, initialize_config_dir

    from strikebench.config.paths import CONF_DIR

    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        return compose("config", overrides=[f"model={model}", *overrides])


def prepare(cfg, n_cells: int, device: str = "cpu"):
    """(data, split, members, levers seconds) of the study's first ``n_cells`` cells."""
    from strikebench.data.cache import get_split

    data, split = get_split(cfg.dataset, cfg.data_root, cfg.split)
    started = time.perf_counter()
    members = strike_members(cfg, data, split, study_cells(n_cells), device)
    return data, split, members, time.perf_counter() - started


def strike_members(cfg, data, split, cells, device: str = "cpu") -> list:
    """The incumbent of each (participation, seed) cell of a random data strike, as a StackMember."""
    from strikebench.levers.build import apply_strike_config
    from strikebench.training.stacked import StackMember
    from strikebench.training.stacked.validation import monitored_metric

    members = []
    for participation, seed in cells:
        cfg.strike.participation = participation
        view = apply_strike_config(cfg.strike, seed, data, split, cfg.split).companies["incumbent"]
        validate = monitored_metric(data, view.train, view.valid, str(cfg.trainer.monitor), device,
                                    int(cfg.trainer.eval_batch_size))
        members.append(StackMember(f"p{participation}-s{seed}", data, view.train, view.valid, seed, validate))
    return members


def ndcg_on_test(data, split, member, fit, device: str = "cpu") -> float:
    """NDCG@10 on the fixed test set, as a cell evaluates its company (train + valid masked)."""
    from strikebench.evaluation.evaluator import EvalContext, evaluate

    held = np.concatenate([member.train_rows, member.valid_rows])
    ctx = EvalContext.build(data.n_users, data.n_items, (data.user[split.test], data.item[split.test]),
                            (data.user[held], data.item[held]), data.item[member.train_rows],
                            data.user[member.train_rows], ks=[10], metrics=("ndcg",), device=device)
    return float(evaluate(fit.score_fn, ctx)["ndcg@10"].mean())


def _sync(device: str) -> None:
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def run_variant(cfg, variant: str, data, split, members, device: str = "cpu") -> dict:
    """Train and test ``members`` one way; wall time, cells per hour, epochs and test NDCG@10."""
    from omegaconf import OmegaConf

    from strikebench.training.stacked import fit_alone, fit_stacked

    load_before = os.getloadavg()[0]
    ndcg, epochs = [], []
    _sync(device)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sb-stacked-") as work:
        if variant.startswith("stacked:"):
            k = int(variant.split(":")[1])
            for start in range(0, len(members), k):
                group = members[start:start + k]
                fits = fit_stacked(cfg, group, device, Path(work) / str(start)).results
                ndcg += [ndcg_on_test(data, split, m, f, device) for m, f in zip(group, fits)]
                epochs += [f.epochs for f in fits]
        else:
            path_cfg = OmegaConf.merge(cfg, {"trainer": {"data_path": variant}})
            for i, member in enumerate(members):
                fit = fit_alone(path_cfg, member, split, device, Path(work) / str(i))
                ndcg.append(ndcg_on_test(data, split, member, fit, device))
                epochs.append(fit.epochs)
    _sync(device)
    seconds = time.perf_counter() - started
    return {"variant": variant, "cells": len(members), "seconds": seconds,
            "cells_per_hour": 3600 * len(members) / seconds, "epochs_mean": float(np.mean(epochs)),
            "test_ndcg": ndcg, "test_ndcg_mean": float(np.mean(ndcg)),
            "load_average_1min": [load_before, os.getloadavg()[0]]}


def warm_up(cfg, data, split, members, device: str, variants) -> None:
    """One short fit per kind of variant, so that first-use costs (imports, lazy init) count nowhere."""
    from omegaconf import OmegaConf

    short = OmegaConf.merge(cfg, {"trainer": {"max_epochs": 1}})
    for variant in {v.split(":")[0] for v in variants}:
        run_variant(short, "stacked:2" if variant == "stacked" else variant, data, split, members[:2], device)


def study_summary(results: dict, k: int) -> dict:
    """The ``"study"`` object of ``benchmarks.run --preset study``: the same cells one by one on
    today's default path (sequential), one by one on the fast path, and stacked K at a time."""
    sequential, fast, stacked = (results[v]["seconds"] for v in ("recbole", "fast", f"stacked:{k}"))
    return {"cells": results["recbole"]["cells"], "stack": k, "sequential_s": sequential, "fast_s": fast,
            "stacked_s": stacked, "speedup": sequential / stacked}


def study(n_cells: int = 64, k: int = 64, threads: int | None = None, device: str = "cpu") -> dict:
    """Run the study's three ways once (for ``benchmarks.run --preset study``): {"study": {...}, "variants": {...}}."""
    if threads:
        torch.set_num_threads(threads)
    cfg = study_config()
    data, split, members, _ = prepare(cfg, n_cells, device)
    variants = ["recbole", "fast", f"stacked:{k}"]
    warm_up(cfg, data, split, members, device, variants)
    results = {v: run_variant(cfg, v, data, split, members, device) for v in variants}
    return {"study": study_summary(results, k), "variants": results}
