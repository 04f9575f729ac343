"""Run one cell: skip it if done or held by another job -> lock it -> preflight -> for each company:
train, evaluate -> write the record.

:func:`run_cell` is the whole story in a screen; each step below it is a small function.
"""
from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from strikebench.app import same_draw
from strikebench.app.cell_lock import CellLock, lock_mode, take_lock
from strikebench.app.expansion import resolved_config
from strikebench.app.lightning_parts import callbacks_of
from strikebench.app.validate import validate
from strikebench.data.cache import get_split
from strikebench.errors import ConfigError
from strikebench.evaluation.evaluator import EvalContext, evaluate
from strikebench.evaluation.validation import validation_metric
from strikebench.levers.build import apply_strike_config
from strikebench.results import store
from strikebench.results.atomic import checkpoint_write_error, write_error
from strikebench.results.assemble import (LEVER_ROWS, build_record, lever_rows_table, record_header,
                                          trained_company)
from strikebench.results.keys import cell_key
from strikebench.results.record import CellRecord, CompanyResult
from strikebench.tracking import NoTracking
from strikebench.training import distributed
from strikebench.training.company_data import company_data
from strikebench.training.fit import fit_company


@dataclass
class CellOutcome:
    key: str
    path: Path
    record: dict | None  # as stored in record.json; None on a data-parallel worker (rank 0 writes it)
    ran: bool  # False when a stored record was reused (resume) or another job holds the cell
    running_elsewhere: str | None = None  # who holds the cell's lock (``lock=skip``), e.g. "pid 12 on node3"


@dataclass(frozen=True)
class Holdout:
    """What every company of a cell is judged on, and who among its users are participants."""

    users: np.ndarray  # the fixed test interactions
    items: np.ndarray
    ratings: np.ndarray | None  # their explicit ratings, where the dataset has them
    metric_columns: list[str]
    negatives: torch.Tensor | None  # the sampled-ranking negatives, if asked for
    participants: np.ndarray  # bool [n_users]
    history: tuple[np.ndarray, np.ndarray]  # each user's true train + valid (users, items): eval.mask=user


def run_cell(cfg, log=print, tracking=None) -> CellOutcome:
    """Run the cell ``cfg`` describes, unless its record exists and ``resume`` is on, or another
    job is training it (``lock``: skip it, or wait and reuse its record). ``tracking``: where the
    cell goes besides the store while it trains (strikebench.tracking; default none)."""
    config = resolved_config(cfg)
    key = cell_key(config)
    mode = lock_mode(cfg)  # a bad lock mode stops the cell even when it is stored
    stored = stored_outcome(cfg, key, log)
    if stored:
        return stored
    lock = CellLock(Path(cfg.work_dir) / key)
    if distributed.is_rank_zero() and not take_lock(lock, mode, key, log):
        return held_elsewhere(cfg, key, lock, log)
    with lock:  # released however this ends; a job that held it may have stored the cell meanwhile
        try:
            return stored_outcome(cfg, key, log) or tracked(cfg, key, config, lock, log, tracking or NoTracking())
        except OSError as exc:  # a disk that filled up or became read-only: one line naming the path
            raise write_error(exc, exc.filename or cfg.work_dir, "a file of the cell") or exc from None
        except RuntimeError as exc:  # torch.save's way of saying the disk is full
            free = shutil.disk_usage(cfg.work_dir).free if Path(cfg.work_dir).exists() else 2**30
            raise checkpoint_write_error(exc, cfg.work_dir, free) or exc from None


def held_elsewhere(cfg, key: str, lock: CellLock, log) -> CellOutcome:
    """The outcome of a cell whose lock another job holds (``lock=skip``): skipped, the holder named."""
    log(f"cell {key} is running elsewhere ({lock.owner()}), skipped (lock=wait waits for it)")
    return CellOutcome(key, store.cell_dir(cfg.results_dir, key), None, ran=False, running_elsewhere=lock.owner())


def tracked(cfg, key: str, config: dict, lock: CellLock, log, tracking) -> CellOutcome:
    """:func:`train_and_store` with the tracker told how it ends; a tracker never fails the cell."""
    try:
        outcome = train_and_store(cfg, key, config, lock, log, tracking)
    except BaseException:
        tracking.abort()
        raise
    if outcome.record is not None:
        tracking.finish(CellRecord.from_json(outcome.record), outcome.path)
    return outcome


def train_and_store(cfg, key: str, config: dict, lock: CellLock, log, tracking) -> CellOutcome:
    """Preflight -> for each company: train, evaluate -> write the record (the lock is held)."""
    started, timings = time.perf_counter(), {}
    data, split, state, device = preflight(cfg, timings)
    holdout = holdout_of(cfg, data, split, state)
    draw = same_draw.draw_key(config, state)
    if distributed.is_rank_zero():  # the run exists while the companies train
        tracking.start(record_header(key, config, data, state))
    twin = None if distributed.is_data_parallel(cfg.trainer) else same_draw.copy_of_twin(cfg.results_dir, draw, key, config)
    if twin:  # a cell at another p drew the same participants: its result is this cell's (app/same_draw.py)
        log(f"same participants and data as the stored cell {twin[0]['same_draw_as']}: its result, not trained again")
        return store_record(cfg, key, *twin, log)
    work_dir = lock.path.parent
    companies, per_user_tables = {}, []
    for name, view in state.companies.items():
        if not view.holds_data:  # e.g. a competitor with no base data at p = 0: nothing to train
            companies[name] = CompanyResult.not_applicable(view, holdout.metric_columns)
            continue
        held = company_data(data, view.rewritten_rows, view.new_items)
        fit = train(cfg, name, held, split, view, device, work_dir / name, timings, log,
                    loggers=tracking.lightning_loggers(name))
        if not distributed.is_rank_zero():
            continue
        per_user = evaluate_company(cfg, name, fit, held, view, holdout, device, timings)
        companies[name] = trained_company(view, data, training_summary(cfg, fit), per_user, holdout.metric_columns)
        per_user.insert(0, "company", name)
        per_user_tables.append(per_user)
    if not distributed.is_rank_zero():
        return CellOutcome(key, store.cell_dir(cfg.results_dir, key), None, ran=True)
    # Only now: a cell killed or preempted mid-training resumes from its checkpoints here.
    for name in state.companies:
        shutil.rmtree(work_dir / name, ignore_errors=True)
    timings["total"] = time.perf_counter() - started
    outcome = write_record(cfg, key, config, data, state, companies, per_user_tables, timings, log,
                           tracking.record_entry())
    same_draw.remember(cfg.results_dir, draw, outcome.key)
    return outcome


def reuses_stored(cfg, key: str) -> bool:
    """A stored record is reused when ``resume`` is on, unless ``force`` asks for a re-run."""
    return bool(cfg.resume) and not cfg.force and store.is_done(cfg.results_dir, key)


def stored_outcome(cfg, key: str, log) -> CellOutcome | None:
    """The stored record as this cell's outcome, when it is reused (as :func:`reuses_stored`); else None."""
    if not cfg.resume or cfg.force:
        return None
    path = store.cell_dir(cfg.results_dir, key)
    record = store.load_cell(path)
    if record is None:  # not stored, or damaged and now set aside: the cell runs (again)
        return None
    log(f"cell {key} already done, skipped (resume=true; force=true reruns it)")
    return CellOutcome(key, path, record, ran=False)


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
    ``on_this_machine=False`` (a sweep checked before Slurm runs it elsewhere) skips the device check."""
    timings = {} if timings is None else timings
    validate(cfg)
    lock_mode(cfg)
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
    known = np.concatenate([split.train, split.valid])
    return Holdout(data.user[split.test], data.item[split.test], ratings, columns, negatives,
                   state.participants.mask(data.n_users), (data.user[known], data.item[known]))


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


def train(cfg, name, held, split, view, device, work_dir: Path, timings: dict, log, loggers=None):
    tick = time.perf_counter()
    valid_metric = validation_metric(held, view.train, view.valid, str(cfg.trainer.monitor), device,
                                     int(cfg.trainer.eval_batch_size))
    fit = fit_company(cfg, held, split, view.train, view.valid, device, work_dir, valid_metric,
                      loggers=loggers, callbacks=callbacks_of(cfg))
    timings[f"train_{name}"] = time.perf_counter() - tick
    if fit.resumed_from_epoch is not None:
        log(f"{name}: resumed from its checkpoint after epoch {fit.resumed_from_epoch}")
    return fit


def evaluate_company(cfg, name, fit, held, view, holdout: Holdout, device, timings: dict) -> pd.DataFrame:
    """One row per test user: the company's metrics, and whether the user is a participant and
    one the company holds training data for (``in_company``; the others get popularity).

    Never ranked for a user: what the company holds for them, and with ``eval.mask=user`` also
    their true train + valid history. Popularity and unknown items stay the company's own."""
    tick = time.perf_counter()
    also_masked = holdout.history if str(cfg.eval.mask) == "user" else None
    ctx = EvalContext.for_company(held, view.train, (holdout.users, holdout.items), ks=list(cfg.eval.ks),
                                  metrics=tuple(cfg.eval.metrics), device=device,
                                  history_rows=view.rows(), also_masked=also_masked)
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
            "world_size": fit.world_size, "data_path": fit.data_path}


def write_record(cfg, key, config, data, state, companies, per_user_tables, timings, log,
                 tracking: dict | None = None) -> CellOutcome:
    """The record and the per-user table, stored in one atomic step (never over another job's).
    ``tracking``: how the cell's tracker went (e.g. W&B offline, and why), kept in the record."""
    table = pd.concat(per_user_tables, ignore_index=True)
    table["user"] = data.user_tokens[table["user"].to_numpy()].astype(str)
    lever_rows = lever_rows_table(state, data)
    record = build_record(key, config, data, state, companies, timings, lever_rows).to_json()
    if tracking:
        record["tracking"] = tracking
    return store_record(cfg, key, record, table, {LEVER_ROWS: lever_rows} if len(lever_rows) else None, log)


def store_record(cfg, key: str, record: dict, table, tables: dict | None, log) -> CellOutcome:
    """Store the cell in one atomic step, never over another job's record."""
    for _ in range(2):  # a second time only if the record found in place was damaged (now set aside)
        try:
            path, stored = store.write_cell(Path(cfg.results_dir), key, record, table, force=bool(cfg.force),
                                            tables=tables)
        except OSError as exc:  # nothing of it stays (results/atomic.py): say where, in one line
            raise write_error(exc, store.cell_dir(cfg.results_dir, key), "the record") or exc from None
        kept = record if stored else store.load_cell(path)
        if kept is not None:
            break
    if not stored:
        log(f"cell {key} was stored by another job meanwhile; kept that record")
    return CellOutcome(key, path, kept, ran=True)
