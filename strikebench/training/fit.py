"""Fit one company's model with Lightning: early stopping on its own validation data. Models
without a gradient step (Pop, ItemKNN, EASE) make their one pass without Lightning, which then
is never imported (its import is most of a Pop cell's time)."""
from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from strikebench import compat
from strikebench.data.interactions import InteractionData
from strikebench.data.split import FixedSplit
from strikebench.training import distributed
from strikebench.training.check import check_split_for
from strikebench.training.loaders import company_train_loader
from strikebench.training.models import build_model, has_gradient_step, is_sequential
from strikebench.training.recbole_config import recbole_config
from strikebench.training.recipes import PhasedLoader, training_phases
from strikebench.training.scoring import ScoreFn, company_score_function
from strikebench.training.sharding import RankShard

Validate = Callable[[ScoreFn], float]  # score function -> the monitored metric on the valid rows


@dataclass
class FitResult:
    model: object
    score_fn: object
    epochs: int
    best_epoch: int | None
    best_valid: float | None
    seconds: float
    resumed_from_epoch: int | None = None  # set when training resumed from a checkpoint
    world_size: int = 1  # processes that trained it (trainer=ddp)
    data_path: str = "recbole"  # the training loader: recbole or fast (trainer.data_path resolved)


def fit_company(cfg, data: InteractionData, split: FixedSplit, train_rows: np.ndarray, valid_rows: np.ndarray,
                device: str, work_dir: Path, validate: Validate, loggers: list | None = None,
                callbacks: list | None = None) -> FitResult:
    """Build the RecBole model on the company's ``train_rows`` and train it, early-stopping on
    ``validate`` (the caller's monitored metric of a score function on ``valid_rows``).
    ``loggers`` and ``callbacks``: Lightning objects for the Trainer (strikebench.training.lightning_fit)."""
    started = time.perf_counter()
    model_name = cfg.model.name
    sequential = is_sequential(model_name)
    if sequential:
        check_split_for(model_name, cfg.split)
    config = _seeded_config(cfg, data.name, device)
    train_dataset, loader, data_path = company_train_loader(cfg, config, data, train_rows, valid_rows, split.test,
                                                            sequential)
    model = build_model(model_name, config, train_dataset)
    trainable = has_gradient_step(model_name)
    phases = training_phases(model_name, config) if trainable else []
    # Models without gradient steps (Pop, ItemKNN, EASE) are built on one device by every rank.
    data_parallel = trainable and distributed.is_data_parallel(cfg.trainer)
    generators = [getattr(loader, "generator", None)]  # the shuffle order's and negatives' own, checkpointed
    loader = _epoch_loader(loader, phases, data_parallel)

    # Validation predicts the valid interactions from the training data; the test set is
    # predicted from everything the company holds (train + valid), as in RecBole's LS/TO split.
    valid_score_fn = company_score_function(model, config, data, train_rows, sequential, device)
    score_fn = company_score_function(model, config, data, np.concatenate([train_rows, valid_rows]), sequential,
                                      device) if sequential else valid_score_fn
    if not trainable:
        result = FitResult(model, score_fn, one_pass(model, loader), None, None, 0.0, None, 1, data_path)
        result.seconds = time.perf_counter() - started
        return result
    from strikebench.training.lightning_fit import checkpoint_dir, monitor_name, restore_best, run_lightning
    from strikebench.training.module import RecBoleModule

    module = RecBoleModule(model, valid_score_fn, validate, float(cfg.model.learning_rate),
                           float(cfg.model.get("weight_decay") or 0.0), trainable, monitor_name(cfg.trainer),
                           phases)
    trainer, checkpoint, resumed_from = run_lightning(module, loader, cfg.trainer, work_dir,
                                                      validates=len(valid_rows) > 0,
                                                      data_parallel=data_parallel, loggers=loggers,
                                                      callbacks=callbacks, generators=generators)

    result = FitResult(model, score_fn, int(trainer.current_epoch), None, None, 0.0, resumed_from,
                       int(trainer.world_size), data_path)
    if distributed.is_rank_zero():  # a data-parallel worker leaves evaluation and files to rank 0
        if checkpoint is not None and checkpoint.best_model_path:
            result.best_epoch, result.best_valid = restore_best(module, checkpoint, device)
        if not cfg.trainer.get("keep_checkpoints", False):
            shutil.rmtree(checkpoint_dir(work_dir), ignore_errors=True)
        model.eval()
    result.seconds = time.perf_counter() - started
    return result


def one_pass(model, loader) -> int:
    """The one epoch RecBole's trainer gives a model without a gradient step: ``calculate_loss``
    on every batch (Pop counts interactions there), in train mode as Lightning's epoch was.
    Returns the epochs run (1)."""
    model.train()
    # Lightning's epoch opened a one-batch DataLoader, which draws its base seed from torch's
    # generator: the same draw keeps the generator, and Random's scores, as they were.
    torch.empty((), dtype=torch.int64).random_()
    with torch.no_grad():
        for batch in loader:
            model.calculate_loss(batch)
    model.eval()
    return 1


def _seeded_config(cfg, dataset_name: str, device: str):
    """RecBole's Config of the cell, with RecBole's and Lightning's seeds set from ``cfg.seed``."""
    compat.apply()
    from recbole.utils import init_seed

    config = recbole_config(cfg, dataset_name, device)
    init_seed(int(cfg.seed), True)
    if has_gradient_step(cfg.model.name):  # the same seeds again, and Lightning's record of them
        import lightning as L

        L.seed_everything(int(cfg.seed), verbose=False)
    return config


def _epoch_loader(loader, phases, data_parallel: bool):
    """What Lightning iterates per epoch: each phase's passes (RecVAE), each rank's share (DDP)."""
    if len(phases) > 1:
        loader = PhasedLoader(loader, phases)
    return RankShard(loader) if data_parallel else loader
