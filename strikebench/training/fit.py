"""Fit one company's model with Lightning: early stopping on its own validation data."""
from __future__ import annotations

import logging
import shutil
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from strikebench import compat
from strikebench.data.interactions import InteractionData
from strikebench.data.split import FixedSplit
from strikebench.evaluation.evaluator import EvalContext
from strikebench.levers.state import CompanyView
from strikebench.training import recbole_bridge as bridge
from strikebench.training.module import RecBoleModule


@dataclass
class FitResult:
    model: object
    score_fn: object
    epochs: int
    best_epoch: int | None
    best_valid: float | None
    seconds: float


def fit_company(cfg, data: InteractionData, split: FixedSplit, view: CompanyView, device: str, work_dir: Path) -> FitResult:
    """Build the RecBole model on ``view``'s training data and train it."""
    compat.apply()
    from recbole.utils import init_seed

    started = time.perf_counter()
    model_name = cfg.model.name
    config = compat.recbole_config(model_name, data.name, bridge.recbole_config_dict(cfg, device))
    init_seed(int(cfg.seed), True)
    L.seed_everything(int(cfg.seed), verbose=False)
    train_dataset, loader = bridge.train_loader(config, data, view.train, view.valid, split.test)
    model = bridge.build_model(model_name, config, train_dataset)
    score_fn = bridge.score_function(model, data.recbole_dataset.uid_field)
    trainable = not bridge.is_traditional(model)

    monitor_metric, k = str(cfg.trainer.monitor).split("@")
    valid_ctx = EvalContext.build(
        data.n_users, data.n_items,
        eval_pairs=(data.user[view.valid], data.item[view.valid]),
        history_pairs=(data.user[view.train], data.item[view.train]),
        train_items=data.item[view.train], train_users=data.user[view.train],
        ks=[int(k)], metrics=(monitor_metric,), device=device,
    )
    validate = trainable and len(view.valid) > 0
    monitor = f"valid/{cfg.trainer.monitor}"
    module = RecBoleModule(model, score_fn, valid_ctx, float(cfg.model.learning_rate),
                           float(cfg.model.get("weight_decay") or 0.0), trainable, monitor)

    ckpt_dir = Path(work_dir) / "checkpoints"
    callbacks = []
    checkpoint = None
    if validate:
        checkpoint = L.pytorch.callbacks.ModelCheckpoint(dirpath=ckpt_dir, monitor=monitor, mode="max", save_top_k=1)
        callbacks = [checkpoint, L.pytorch.callbacks.EarlyStopping(monitor=monitor, mode="max", patience=int(cfg.trainer.patience))]
    valid_loader = DataLoader(TensorDataset(valid_ctx.users().cpu()), batch_size=int(cfg.trainer.eval_batch_size))
    with _quiet_lightning():
        trainer = L.Trainer(
            max_epochs=int(cfg.trainer.max_epochs) if trainable else 1,
            accelerator=str(cfg.trainer.accelerator),
            devices=cfg.trainer.devices,
            callbacks=callbacks,
            logger=False,
            enable_checkpointing=validate,
            enable_progress_bar=bool(cfg.trainer.progress_bar),
            enable_model_summary=False,
            num_sanity_val_steps=0,
            limit_val_batches=None if validate else 0,
            check_val_every_n_epoch=int(cfg.trainer.eval_every),
            use_distributed_sampler=False,
            default_root_dir=str(work_dir),
        )
        trainer.fit(module, train_dataloaders=loader, val_dataloaders=valid_loader if validate else None)

    best_epoch = best_valid = None
    if checkpoint is not None and checkpoint.best_model_path:
        state = torch.load(checkpoint.best_model_path, map_location=device, weights_only=True)
        module.load_state_dict(state["state_dict"])
        best_epoch = int(state["epoch"])
        best_valid = float(checkpoint.best_model_score)
    if not cfg.trainer.get("keep_checkpoints", False):
        shutil.rmtree(ckpt_dir, ignore_errors=True)
    model.eval()
    return FitResult(model, score_fn, int(trainer.current_epoch), best_epoch, best_valid,
                     time.perf_counter() - started)


class _quiet_lightning:
    """Lightning's per-fit banners ("GPU available", dataloader worker hints) drown a sweep's output."""

    LOGGERS = ("lightning.pytorch", "lightning.fabric", "lightning")

    def __enter__(self):
        self._levels = {name: logging.getLogger(name).level for name in self.LOGGERS}
        for name in self.LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.filterwarnings("ignore", message=".*does not have many workers.*")
        warnings.filterwarnings("ignore", message=".*LeafSpec.*")
        warnings.filterwarnings("ignore", message=".*`srun` command is available.*")
        warnings.filterwarnings("ignore", message=".*configure_optimizers.*returned `None`.*")
        warnings.filterwarnings("ignore", message=".*litlogger.*")
        warnings.filterwarnings("ignore", message=".*no `val_dataloader`.*")
        return self

    def __exit__(self, *exc):
        self._warnings.__exit__(*exc)
        for name, level in self._levels.items():
            logging.getLogger(name).setLevel(level)
        return False
