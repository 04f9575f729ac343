"""strikebench's per-cell data setup, against RecBole's create_dataset + data_preparation.

A sweep loads a dataset and makes its fixed split once per process (strikebench.data.cache);
every cell then only draws participants, applies its levers and builds the company views it
trains and is evaluated on. Measured here:
- ``sb.load_interactions`` (once per process): RecBole's reading plus strikebench's arrays;
- ``sb.cached_arrays_load``: reading the arrays and the split back from a .npz file;
- ``sb.split`` (once per study): the fixed split;
- ``sb.cell_setup`` (every cell): a random strike (p = 0.3) through ``apply_strike_config``, then
  the incumbent's RecBole Dataset copy, its fast training loader and its valid and test
  evaluation contexts: everything ``fit_company`` and ``run_cell`` build before training.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.datasets import RECBOLE_SETTINGS
from benchmarks.measure import run_stage


def _strike_cfg(participation: float):
    from hydra import compose

    from strikebench.config.paths import config_context

    with config_context():
        cfg = compose("config", overrides=[f"strike.participation={participation}"])
    return cfg.strike, cfg.split


def company_views(config, data, split, state, device):
    """What a cell builds for the incumbent before training (fit_company + run_cell)."""
    from strikebench.training.fast.company import train_loader

    view = state.companies["incumbent"]
    dataset, loader = train_loader(config, data, view.train)
    return dataset, loader, company_views_contexts(data, split, view, device)


def measure(spec: dict, data_path: str, recbole_config, stages: dict, participation: float = 0.3) -> None:
    from strikebench.data.interactions import load_interactions
    from strikebench.data.split import make_split
    from strikebench.levers.build import apply_strike_config

    device = spec["device"]
    folder = Path(data_path) / spec["dataset"]
    data = run_stage(stages, "sb.load_interactions", "cpu", load_interactions, spec["dataset"], folder,
                     dict(RECBOLE_SETTINGS))
    strike_cfg, split_cfg = _strike_cfg(participation)
    split = run_stage(stages, "sb.split", "cpu", make_split, data.user, data.timestamp, split_cfg)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "arrays.npz"
        np.savez(path, user=data.user, item=data.item, timestamp=data.timestamp, rating=data.rating,
                 train=split.train, valid=split.valid, test=split.test)

        def load():
            with np.load(path) as f:
                return {k: f[k] for k in f.files}

        run_stage(stages, "sb.cached_arrays_load", "cpu", load)

    def cell():
        state = apply_strike_config(strike_cfg, int(spec["seed"]), data, split, split_cfg)
        return company_views(recbole_config, data, split, state, device)

    repeats = int(spec.get("setup_repeats", 3))
    run_stage(stages, "sb.cell_setup", device, cell, repeats=repeats)
    stages["sb.cell_setup"]["participation"] = participation
    stages["sb.cell_setup"]["parts_seconds"] = parts(spec, recbole_config, data, split, strike_cfg, split_cfg)


def parts(spec, config, data, split, strike_cfg, split_cfg) -> dict:
    """The cell setup again, part by part, to show where its time goes."""
    from strikebench.levers.build import apply_strike_config
    from strikebench.training.company_data import company_dataset
    from strikebench.training.fast import fast_train_loader

    out = {}

    def timed(name, fn, *args):
        _sync(spec["device"])
        start = time.perf_counter()
        value = fn(*args)
        _sync(spec["device"])
        out[name] = time.perf_counter() - start
        return value

    state = timed("levers (apply_strike_config)", apply_strike_config, strike_cfg, int(spec["seed"]), data, split,
                  split_cfg)
    view = state.companies["incumbent"]
    timed("company RecBole Dataset copy (company_dataset)", company_dataset, data, view.train)
    timed("fast loader (sampler CSR, device tensors)", lambda: fast_train_loader(
        config, data.user[view.train], data.item[view.train], data.n_users, data.n_items, device=spec["device"]))
    timed("valid + test evaluation contexts", lambda: company_views_contexts(data, split, view, spec["device"]))
    return out


def company_views_contexts(data, split, view, device):
    from strikebench.evaluation.evaluator import EvalContext

    held = np.concatenate([view.train, view.valid])
    return [EvalContext.build(data.n_users, data.n_items, eval_pairs, history, data.item[view.train],
                              data.user[view.train], ks=[10], device=device)
            for eval_pairs, history in (
                ((data.user[view.valid], data.item[view.valid]), (data.user[view.train], data.item[view.train])),
                ((data.user[split.test], data.item[split.test]), (data.user[held], data.item[held])))]


def _sync(device):
    if str(device).startswith("cuda"):
        import torch

        torch.cuda.synchronize()
