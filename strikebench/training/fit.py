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
from strikebench.training import distributed
from strikebench.training import recbole_bridge as bridge
from strikebench.training.module import RecBoleModule
from strikebench.training.sharding import RankShard


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


def fit_company(cfg, data: InteractionData, split: FixedSplit, view: CompanyView, device: str, work_dir: Path) -> FitResult:
    """Build the RecBole model on ``view``'s training data and train it."""
    compat.apply()
    from recbole.utils import init_seed

    started = time.perf_counter()
    model_name = cfg.model.name
    sequential = bridge.is_sequential(model_name)
    if sequential:
        bridge.check_split_for(model_name, cfg.split)
    config = compat.recbole_config(model_name, data.name, bridge.recbole_config_dict(cfg, device))
    init_seed(int(cfg.seed), True)
    L.seed_everything(int(cfg.seed), verbose=False)
    train_dataset, loader = _train_loader(cfg, config, data, view, split, sequential)
    model = bridge.build_model(model_name, config, train_dataset)
    trainable = not bridge.is_traditional(model)
    phases = bridge.training_phases(model_name, config) if trainable else []
    if len(phases) > 1:
        loader = bridge.PhasedLoader(loader, phases)
    # Models without gradient steps (Pop, ItemKNN, EASE) are built on one device by every rank.
    data_parallel = trainable and distributed.is_data_parallel(cfg.trainer)
    if data_parallel:
        loader = RankShard(loader)

    def scorer(rows):
        """Scores for the users of ``rows``; sequential models read each user's sequence in ``rows``."""
        sequences = bridge.user_sequences(config, data, rows, device) if sequential else None
        return bridge.score_function(model, data.recbole_dataset.uid_field, data.recbole_dataset.iid_field,
                                     data.n_items, sequences)

    # Validation predicts the valid interactions from the training data; the test set is
    # predicted from everything the company holds (train + valid), as in RecBole's LS/TO split.
    valid_score_fn = scorer(view.train)
    score_fn = scorer(np.concatenate([view.train, view.valid])) if sequential else valid_score_fn

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
    module = RecBoleModule(model, valid_score_fn, valid_ctx, float(cfg.model.learning_rate),
                           float(cfg.model.get("weight_decay") or 0.0), trainable, monitor, phases)

    ckpt_dir = Path(work_dir) / "checkpoints"
    callbacks = []
    checkpoint = None
    if validate:
        # save_last: a cell killed or preempted mid-training resumes from its last validated epoch.
        checkpoint = L.pytorch.callbacks.ModelCheckpoint(dirpath=ckpt_dir, monitor=monitor, mode="max", save_top_k=1,
                                                         save_last=True)
        callbacks = [checkpoint, L.pytorch.callbacks.EarlyStopping(monitor=monitor, mode="max", patience=int(cfg.trainer.patience))]
    valid_loader = DataLoader(TensorDataset(valid_ctx.users().cpu()), batch_size=int(cfg.trainer.eval_batch_size))
    with _quiet_lightning():
        trainer = L.Trainer(
            max_epochs=int(cfg.trainer.max_epochs) if trainable else 1,
            accelerator=str(cfg.trainer.accelerator),
            devices=cfg.trainer.devices if data_parallel else 1,
            callbacks=callbacks,
            logger=False,
            enable_checkpointing=validate,
            enable_progress_bar=cfg.trainer.progress_bar is True,  # app.progress.progress_mode resolves auto
            enable_model_summary=False,
            num_sanity_val_steps=0,
            limit_val_batches=None if validate else 0,
            check_val_every_n_epoch=int(cfg.trainer.eval_every),
            use_distributed_sampler=False,
            strategy="ddp" if data_parallel else "auto",
            default_root_dir=str(work_dir),
        )
        resume = ckpt_dir / "last.ckpt"
        resumed_from = _checkpoint_epoch(resume) if validate and resume.is_file() else None
        trainer.fit(module, train_dataloaders=loader, val_dataloaders=valid_loader if validate else None,
                    ckpt_path=str(resume) if resumed_from is not None else None)

    result = FitResult(model, score_fn, int(trainer.current_epoch), None, None, 0.0, resumed_from,
                       int(trainer.world_size))
    if not distributed.is_rank_zero():  # a data-parallel worker: rank 0 evaluates and owns the files
        result.seconds = time.perf_counter() - started
        return result
    if checkpoint is not None and checkpoint.best_model_path:
        state = torch.load(checkpoint.best_model_path, map_location=device, weights_only=True)
        module.load_state_dict(state["state_dict"])
        model.load_other_parameter(state.get("recbole_other_parameter"))
        result.best_epoch = int(state["epoch"])
        result.best_valid = None if checkpoint.best_model_score is None else float(checkpoint.best_model_score)
    if not cfg.trainer.get("keep_checkpoints", False):
        shutil.rmtree(ckpt_dir, ignore_errors=True)
    model.eval()
    result.seconds = time.perf_counter() - started
    return result


def _train_loader(cfg, config, data, view, split, sequential):
    """RecBole's own loader (the default), or the fast on-device path (``trainer.data_path=fast``)."""
    data_path = str(cfg.trainer.get("data_path") or "recbole")
    if data_path == "recbole":
        return bridge.train_loader(config, data, view.train, view.valid, split.test, sequential)
    from strikebench.errors import ConfigError
    from strikebench.training.fast import company as fast_data
    from strikebench.training.fast.loader import unsupported_reason

    reason = "sequential models" if sequential else unsupported_reason(config)
    if data_path != "fast" or reason:
        raise ConfigError("trainer.data_path", f"{data_path!r} cannot train {cfg.model.name}: {reason}"
                          if data_path == "fast" else f"unknown data path {data_path!r}", "recbole, fast")
    return fast_data.train_loader(config, data, view.train, view.valid, split.test, sequential)


def _checkpoint_epoch(path: Path) -> int | None:
    """The epoch a checkpoint was saved after, or None if it cannot be read (then start afresh)."""
    try:
        return int(torch.load(path, map_location="cpu", weights_only=True)["epoch"])
    except Exception:  # noqa: BLE001 - a checkpoint cut short by the kill: train from scratch
        path.unlink(missing_ok=True)
        return None


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
        # A resumed cell writes into the checkpoint folder of its earlier run, on purpose.
        warnings.filterwarnings("ignore", message=".*Checkpoint directory .* exists and is not empty.*")
        return self

    def __exit__(self, *exc):
        self._warnings.__exit__(*exc)
        for name, level in self._levels.items():
            logging.getLogger(name).setLevel(level)
        return False
