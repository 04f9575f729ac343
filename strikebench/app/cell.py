"""Run one cell: skip it if done -> preflight -> for each company: train, evaluate -> write the record.

:func:`run_cell` is the whole story in a screen; each step below it is a small function.
"""
from __future__ import annotations

import dataclasses
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from strikebench.app.expansion import resolved_config
from strikebench.config.validate import validate
from strikebench.data.cache import get_split
from strikebench.errors import ConfigError
from strikebench.evaluation.evaluator import EvalContext, evaluate
from strikebench.levers.build import apply_strike_config
from strikebench.results import store
from strikebench.results.assemble import LEVER_ROWS, build_record, lever_rows_table, trained_company
from strikebench.results.keys import cell_key
from strikebench.results.record import CompanyResult
from strikebench.training import distributed
from strikebench.training.fit import fit_company


@dataclass
class CellOutcome:
    key: str
    path: Path
    record: dict | None  # as stored in record.json; None on a data-parallel worker (rank 0 writes it)
    ran: bool  # False when a stored record was reused (resume)


@dataclass(frozen=True)
class Holdout:
    """What every company of a cell is judged on, and who among its users are participants."""

    users: np.ndarray  # the fixed test interactions
    items: np.ndarray
    ratings: np.ndarray | None  # their explicit ratings, where the dataset has them
    metric_columns: list[str]
    negatives: torch.Tensor | None  # the sampled-ranking negatives, if asked for
    participants: np.ndarray  # bool [n_users]


def run_cell(cfg, log=print) -> CellOutcome:
    """Run the cell ``cfg`` describes, unless its record exists and ``resume`` is on."""
    config = resolved_config(cfg)
    key = cell_key(config)
    results_dir = Path(cfg.results_dir)
    if reuses_stored(cfg, key):
        log(f"cell {key} already done, skipped (resume=true; force=true reruns it)")
        path = store.cell_dir(results_dir, key)
        return CellOutcome(key, path, store.read_record(path), ran=False)

    started, timings = time.perf_counter(), {}
    data, split, state, device = preflight(cfg, timings)
    holdout = holdout_of(cfg, data, split, state)
    work_dir = Path(cfg.work_dir) / key
    companies, per_user_tables = {}, []
    for name, view in state.companies.items():
        if not view.holds_data:  # e.g. a competitor with no base data at p = 0: nothing to train
            companies[name] = CompanyResult.not_applicable(view, holdout.metric_columns)
            continue
        held = company_data(data, view)
        fit = train(cfg, name, held, split, view, device, work_dir / name, timings, log)
        if not distributed.is_rank_zero():
            continue
        per_user = evaluate_company(cfg, name, fit, held, view, holdout, device, timings)
        companies[name] = trained_company(view, data, training_summary(cfg, fit), per_user, holdout.metric_columns)
        per_user.insert(0, "company", name)
        per_user_tables.append(per_user)
    if not distributed.is_rank_zero():
        return CellOutcome(key, store.cell_dir(results_dir, key), None, ran=True)
    # Only now: a cell killed or preempted mid-training resumes from its checkpoints here.
    shutil.rmtree(work_dir, ignore_errors=True)
    timings["total"] = time.perf_counter() - started
    return write_record(cfg, key, config, data, state, companies, per_user_tables, timings, log)


def reuses_stored(cfg, key: str) -> bool:
    """A stored record is reused when ``resume`` is on, unless ``force`` asks for a re-run."""
    return bool(cfg.resume) and not cfg.force and store.is_done(cfg.results_dir, key)


def device_of(cfg) -> str:
    accelerator = str(cfg.trainer.accelerator)
    if accelerator in ("gpu", "cuda"):
        if not torch.cuda.is_available():
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


def holdout_of(cfg, data, split, state) -> Holdout:
    negatives = study_negatives(cfg, data, split)
    columns = [f"{m}@{k}" for k in cfg.eval.ks for m in cfg.eval.metrics]
    if negatives is not None:
        from strikebench.evaluation.sampled import SAMPLED_METRICS

        columns += [f"sampled_{m}@{k}" for k in cfg.eval.ks for m in SAMPLED_METRICS]
    if cfg.eval.get("rating_metrics"):
        from strikebench.evaluation.rating_metrics import RATING_METRICS

        columns += list(RATING_METRICS)
    ratings = data.rating[split.test] if data.rating is not None else None
    return Holdout(data.user[split.test], data.item[split.test], ratings, columns, negatives,
                   state.participants.mask(data.n_users))


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


def company_data(data, view):
    """The dataset as ``view``'s company holds it: poisoned rows point at their new items.

    Only the item column changes (in the arrays and in RecBole's interaction table), so the
    training and evaluation code is the same for every company. Without rewrites: ``data``.
    """
    if len(view.rewritten_rows) == 0:
        return data
    from recbole.data.interaction import Interaction

    item = view.item_array(data.item)
    dataset = data.recbole_dataset
    columns = dict(dataset.inter_feat.interaction)
    columns[dataset.iid_field] = torch.as_tensor(item, dtype=columns[dataset.iid_field].dtype)
    return dataclasses.replace(data, item=item, recbole_dataset=dataset.copy(Interaction(columns)), _cache={})


def train(cfg, name, held, split, view, device, work_dir: Path, timings: dict, log):
    tick = time.perf_counter()
    fit = fit_company(cfg, held, split, view, device, work_dir)
    timings[f"train_{name}"] = time.perf_counter() - tick
    if fit.resumed_from_epoch is not None:
        log(f"{name}: resumed from its checkpoint after epoch {fit.resumed_from_epoch}")
    return fit


def evaluate_company(cfg, name, fit, held, view, holdout: Holdout, device, timings: dict) -> pd.DataFrame:
    """One row per test user: the company's metrics, and whether the user is a participant and
    one the company holds training data for (``in_company``; the others get popularity)."""
    tick = time.perf_counter()
    ctx = EvalContext.for_company(held, view.train, (holdout.users, holdout.items), ks=list(cfg.eval.ks),
                                  metrics=tuple(cfg.eval.metrics), device=device,
                                  history_rows=np.concatenate([view.train, view.valid]))
    per_user = evaluate(fit.score_fn, ctx, batch_size=int(cfg.eval.batch_size))
    per_user = add_optional_metrics(cfg, per_user, fit.score_fn, ctx, holdout, device)
    timings[f"evaluate_{name}"] = time.perf_counter() - tick
    per_user["participant"] = holdout.participants[per_user["user"].to_numpy()]
    per_user["in_company"] = ~per_user["fallback"].to_numpy()
    return per_user


def add_optional_metrics(cfg, per_user, score_fn, ctx, holdout: Holdout, device):
    """Sampled ranking (each positive against sampled negatives) and explicit-rating metrics."""
    rating_metrics = bool(cfg.eval.get("rating_metrics"))
    if holdout.negatives is None and not rating_metrics:
        return per_user
    from strikebench.evaluation.rating_metrics import rating_per_user
    from strikebench.evaluation.sampled import company_keys, sampled_per_user

    keys_fn = company_keys(score_fn, ctx.popularity, ctx.has_training_data)
    if holdout.negatives is not None:
        sampled = sampled_per_user(keys_fn, holdout.users, holdout.items, holdout.negatives, ks=list(cfg.eval.ks),
                                   device=device)
        per_user = per_user.merge(sampled, on="user", how="left")
    if rating_metrics:
        rated = rating_per_user(keys_fn, holdout.users, holdout.items, holdout.ratings, device=device)
        per_user = per_user.merge(rated, on="user", how="left")
    return per_user


def training_summary(cfg, fit) -> dict:
    return {"epochs": fit.epochs, "best_epoch": fit.best_epoch, "best_valid": fit.best_valid,
            "monitor": str(cfg.trainer.monitor), "resumed_from_epoch": fit.resumed_from_epoch,
            "world_size": fit.world_size}


def write_record(cfg, key, config, data, state, companies, per_user_tables, timings, log) -> CellOutcome:
    """The record and the per-user table, stored in one atomic step (never over another job's)."""
    table = pd.concat(per_user_tables, ignore_index=True)
    table["user"] = data.user_tokens[table["user"].to_numpy()].astype(str)
    lever_rows = lever_rows_table(state, data)
    record = build_record(key, config, data, state, companies, timings, lever_rows).to_json()
    path, stored = store.write_cell(Path(cfg.results_dir), key, record, table, force=bool(cfg.force),
                                    tables={LEVER_ROWS: lever_rows} if len(lever_rows) else None)
    if not stored:
        log(f"cell {key} was stored by another job meanwhile; kept that record")
        record = store.read_record(path)
    return CellOutcome(key, path, record, ran=True)
