"""Run one cell: data -> fixed split -> selector and levers -> train each company -> evaluate -> record."""
from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from omegaconf import OmegaConf

from strikebench.config.validate import validate
from strikebench.data.cache import get_split
from strikebench.evaluation.evaluator import EvalContext, evaluate
from strikebench.evaluation.validation import validation_metric
from strikebench.levers.build import apply_strike_config
from strikebench.results import store
from strikebench.results.keys import cell_key
from strikebench.results.record import LEVER_ROWS, build_record, group_metrics, lever_rows_table, not_applicable
from strikebench.training import distributed
from strikebench.training.company_data import company_data
from strikebench.training.fit import fit_company


@dataclass
class CellOutcome:
    key: str
    path: Path
    record: dict | None  # None on a data-parallel worker (rank > 0): rank 0 writes the record
    ran: bool  # False when a stored record was reused (resume)


def resolved_config(cfg) -> dict:
    container = OmegaConf.to_container(cfg, resolve=True)
    container.pop("hydra", None)
    return container


def device_of(cfg) -> str:
    accelerator = str(cfg.trainer.accelerator)
    if accelerator in ("gpu", "cuda"):
        if not torch.cuda.is_available():
            from strikebench.errors import ConfigError

            raise ConfigError("trainer.accelerator", "gpu was asked for but torch sees no CUDA device", "cpu")
        if distributed.is_data_parallel(cfg.trainer):
            # Each rank's "cuda" is its own device, for the data and evaluation as for Lightning.
            torch.cuda.set_device(distributed.local_rank())
        return "cuda"
    return "cpu"


def preflight(cfg, timings: dict | None = None, on_this_machine: bool = True):
    """Everything a cell does before training: checks, data, split, levers. Raises on bad input.

    ``on_this_machine=False`` (a sweep checked before Slurm runs it elsewhere) skips the device check.
    """
    timings = {} if timings is None else timings
    validate(cfg)
    device = device_of(cfg) if on_this_machine else None
    tick = time.perf_counter()
    data, split = get_split(cfg.dataset, cfg.data_root, cfg.split, use_cache=bool(cfg.get("data_cache", True)))
    timings["data"] = time.perf_counter() - tick
    tick = time.perf_counter()
    state = apply_strike_config(cfg.strike, int(cfg.seed), data, split, cfg.split)
    timings["levers"] = time.perf_counter() - tick
    return data, split, state, device


def study_negatives(cfg, data, split):
    """The sampled-ranking negatives (``eval.sampled_negatives``), or None.

    One draw per study: it depends only on the split and its seed, so every model, company
    and participation level is judged against the same negatives.
    """
    if not cfg.eval.get("sampled_negatives"):
        return None
    from strikebench.evaluation.sampled import sample_negatives

    return sample_negatives(data.user[split.test], data.user, data.item, data.n_items,
                            int(cfg.eval.sampled_negatives), seed=int(cfg.split.seed))


def add_optional_metrics(cfg, per_user, score_fn, ctx, data, split, negatives, device):
    """Sampled ranking (each positive against sampled negatives) and explicit-rating metrics."""
    rating_metrics = bool(cfg.eval.get("rating_metrics"))
    if negatives is None and not rating_metrics:
        return per_user
    from strikebench.evaluation.rating_metrics import rating_per_user
    from strikebench.evaluation.sampled import company_keys, sampled_per_user

    keys_fn = company_keys(score_fn, ctx.popularity, ctx.has_training_data)
    test_users, test_items = data.user[split.test], data.item[split.test]
    if negatives is not None:
        sampled = sampled_per_user(keys_fn, test_users, test_items, negatives, ks=list(cfg.eval.ks), device=device)
        per_user = per_user.merge(sampled, on="user", how="left")
    if rating_metrics:
        rated = rating_per_user(keys_fn, test_users, test_items, data.rating[split.test], device=device)
        per_user = per_user.merge(rated, on="user", how="left")
    return per_user


def run_cell(cfg, log=print) -> CellOutcome:
    """Run the cell ``cfg`` describes, unless its record exists and ``resume`` is on."""
    config = resolved_config(cfg)
    key = cell_key(config)
    results_dir = Path(cfg.results_dir)
    if store.is_done(results_dir, key) and cfg.resume and not cfg.force:
        log(f"cell {key} already done, skipped (resume=true; force=true reruns it)")
        path = store.cell_dir(results_dir, key)
        return CellOutcome(key, path, store.read_record(path), ran=False)

    timings = {}
    started = time.perf_counter()
    data, split, state, device = preflight(cfg, timings)

    participant_mask = state.participants.mask(data.n_users)
    test_users, test_items = data.user[split.test], data.item[split.test]
    metric_columns = [f"{m}@{k}" for k in cfg.eval.ks for m in cfg.eval.metrics]
    negatives = study_negatives(cfg, data, split)
    if negatives is not None:
        from strikebench.evaluation.sampled import SAMPLED_METRICS

        metric_columns += [f"sampled_{m}@{k}" for k in cfg.eval.ks for m in SAMPLED_METRICS]
    if cfg.eval.get("rating_metrics"):
        from strikebench.evaluation.rating_metrics import RATING_METRICS

        metric_columns += list(RATING_METRICS)
    work_dir = Path(cfg.work_dir) / key
    companies, per_user_tables = {}, []
    for name, view in state.companies.items():
        if not view.holds_data:  # e.g. a competitor with no base data at p = 0: nothing to train
            companies[name] = not_applicable(view, metric_columns)
            continue
        held = company_data(data, view.rewritten_rows, view.new_items)
        tick = time.perf_counter()
        valid_metric = validation_metric(held, view.train, view.valid, str(cfg.trainer.monitor), device,
                                         int(cfg.trainer.eval_batch_size))
        fit = fit_company(cfg, held, split, view.train, view.valid, device, work_dir / name, valid_metric)
        timings[f"train_{name}"] = time.perf_counter() - tick
        if fit.resumed_from_epoch is not None:
            log(f"{name}: resumed from its checkpoint after epoch {fit.resumed_from_epoch}")
        if not distributed.is_rank_zero():
            continue
        tick = time.perf_counter()
        ctx = EvalContext.build(
            data.n_users, data.n_items,
            eval_pairs=(test_users, test_items),
            history_pairs=(np.concatenate([held.user[view.train], held.user[view.valid]]),
                           np.concatenate([held.item[view.train], held.item[view.valid]])),
            train_items=held.item[view.train], train_users=held.user[view.train],
            ks=list(cfg.eval.ks), metrics=tuple(cfg.eval.metrics), device=device,
        )
        per_user = evaluate(fit.score_fn, ctx, batch_size=int(cfg.eval.batch_size))
        per_user = add_optional_metrics(cfg, per_user, fit.score_fn, ctx, data, split, negatives, device)
        timings[f"evaluate_{name}"] = time.perf_counter() - tick
        per_user["participant"] = participant_mask[per_user["user"].to_numpy()]
        per_user["in_company"] = ~per_user["fallback"].to_numpy()
        companies[name] = {
            "status": "ok",
            "train_interactions": int(len(view.train)),
            "valid_interactions": int(len(view.valid)),
            "users_with_training_data": int(len(np.unique(data.user[view.train]))),
            "rewritten_interactions": int(len(view.rewritten_rows)),
            "training": {"epochs": fit.epochs, "best_epoch": fit.best_epoch, "best_valid": fit.best_valid,
                         "monitor": str(cfg.trainer.monitor), "resumed_from_epoch": fit.resumed_from_epoch,
                         "world_size": fit.world_size},
            "metrics": group_metrics(per_user, metric_columns),
        }
        per_user.insert(0, "company", name)
        per_user_tables.append(per_user)
    if not distributed.is_rank_zero():
        return CellOutcome(key, store.cell_dir(results_dir, key), None, ran=True)
    # Only now: a cell killed or preempted mid-training resumes from its checkpoints here.
    shutil.rmtree(work_dir, ignore_errors=True)

    timings["total"] = time.perf_counter() - started
    table = pd.concat(per_user_tables, ignore_index=True)
    table["user"] = data.user_tokens[table["user"].to_numpy()].astype(str)
    lever_rows = lever_rows_table(state, data)
    record = build_record(key, config, data, state, companies, timings, lever_rows)
    path, stored = store.write_cell(results_dir, key, record, table, force=bool(cfg.force),
                                    tables={LEVER_ROWS: lever_rows} if len(lever_rows) else None)
    if not stored:
        log(f"cell {key} was stored by another job meanwhile; kept that record")
        record = store.read_record(path)
    return CellOutcome(key, path, record, ran=True)
