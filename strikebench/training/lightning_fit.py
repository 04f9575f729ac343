"""Lightning's part of a company's fit: the Trainer, its early stopping and checkpoints, resuming.

A cell killed or preempted mid-training resumes from ``<work_dir>/checkpoints/last.ckpt`` (its
last validated epoch) when it runs again; the best checkpoint is restored once training ends.
Each epoch is one Lightning step that runs the module over the whole training loader
(``epoch_steps``; the module's docstring says why), except under DDP.
"""
from __future__ import annotations

import logging
import warnings
from pathlib import Path

import lightning as L
import torch
from torch.utils.data import DataLoader, TensorDataset


def run_lightning(module, loader, trainer_cfg, work_dir: Path, validates: bool, data_parallel: bool,
                  loggers: list | None = None, callbacks: list | None = None):
    """``trainer.fit`` of ``module`` on ``loader``; returns (trainer, checkpoint callback or None,
    the epoch it resumed after or None). ``validates``: early-stop on ``module.monitor``.

    ``loggers`` (e.g. the cell's W&B run) and ``callbacks`` (the user's, from conf/callbacks) are
    Lightning objects built by the caller; the protocol's checkpoint and early stopping come first."""
    ckpt_dir = checkpoint_dir(work_dir)
    with _quiet_lightning():
        trainer, checkpoint = build_trainer(trainer_cfg, work_dir, trainable=module.trainable, validates=validates,
                                            data_parallel=data_parallel, callbacks=callbacks or (),
                                            loggers=loggers or ())
        resume = ckpt_dir / "last.ckpt"
        resumed_from = _checkpoint_epoch(resume) if validates and resume.is_file() else None
        trainer.fit(module, train_dataloaders=epoch_steps(module, loader, data_parallel),
                    val_dataloaders=_one_pass() if validates else None,
                    ckpt_path=str(resume) if resumed_from is not None else None)
    return trainer, checkpoint, resumed_from


def build_trainer(trainer_cfg, work_dir: Path, *, trainable: bool, validates: bool, data_parallel: bool,
                  callbacks=(), loggers=()):
    """The Lightning Trainer of a company's fit and its checkpoint callback (None without
    validation). Early stopping and the best checkpoint follow ``valid/<trainer.monitor>``."""
    monitor = monitor_name(trainer_cfg)
    own = []
    checkpoint = None
    if validates:
        # save_last: a cell killed or preempted mid-training resumes from its last validated epoch.
        checkpoint = L.pytorch.callbacks.ModelCheckpoint(dirpath=checkpoint_dir(work_dir), monitor=monitor, mode="max",
                                                         save_top_k=1, save_last=True)
        own = [checkpoint, L.pytorch.callbacks.EarlyStopping(monitor=monitor, mode="max",
                                                             patience=int(trainer_cfg.patience))]
    trainer = L.Trainer(
        max_epochs=int(trainer_cfg.max_epochs) if trainable else 1,
        accelerator=str(trainer_cfg.accelerator),
        devices=trainer_cfg.devices if data_parallel else 1,
        callbacks=[*own, *callbacks],
        logger=list(loggers) or False,
        precision=trainer_cfg.get("precision"),
        enable_checkpointing=validates,
        enable_progress_bar=trainer_cfg.progress_bar is True,  # app.progress.progress_mode resolves auto
        enable_model_summary=False,
        num_sanity_val_steps=0,
        limit_val_batches=None if validates else 0,
        check_val_every_n_epoch=int(trainer_cfg.eval_every),
        log_every_n_steps=1,  # a Lightning step is a whole epoch (epoch_steps)
        use_distributed_sampler=False,
        strategy="ddp" if data_parallel else "auto",
        default_root_dir=str(work_dir),
    )
    return trainer, checkpoint


def monitor_name(trainer_cfg) -> str:
    """What the module logs and early stopping watches: ``valid/<trainer.monitor>``."""
    return f"valid/{trainer_cfg.monitor}"


def epoch_steps(module, loader, data_parallel: bool):
    """What Lightning iterates: one step per epoch that runs the module over ``loader``, or,
    under DDP, ``loader``'s batches one step each (each backward needs its own DDP forward)."""
    if data_parallel:
        module.epoch_loader = None
        return loader
    module.epoch_loader = loader
    return _one_pass()


def _one_pass() -> DataLoader:
    """One batch: it starts a pass (an epoch, a validation), the module does the rest."""
    return DataLoader(TensorDataset(torch.zeros(1)))


def checkpoint_dir(work_dir: Path) -> Path:
    return Path(work_dir) / "checkpoints"


def restore_best(module, checkpoint, device) -> tuple[int, float | None]:
    """Load the best checkpoint's weights (and RecBole's cached tensors) into ``module``;
    returns (its epoch, its monitored value)."""
    state = torch.load(checkpoint.best_model_path, map_location=device, weights_only=True)
    module.load_state_dict(state["state_dict"])
    module.model.load_other_parameter(state.get("recbole_other_parameter"))
    best_valid = None if checkpoint.best_model_score is None else float(checkpoint.best_model_score)
    return int(state["epoch"]), best_valid


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
        # Metrics are logged per epoch (on_epoch): the per-step logging interval does not apply.
        warnings.filterwarnings("ignore", message=".*smaller than the logging interval.*")
        # A resumed cell writes into the checkpoint folder of its earlier run, on purpose.
        warnings.filterwarnings("ignore", message=".*Checkpoint directory .* exists and is not empty.*")
        return self

    def __exit__(self, *exc):
        self._warnings.__exit__(*exc)
        for name, level in self._levels.items():
            logging.getLogger(name).setLevel(level)
        return False
