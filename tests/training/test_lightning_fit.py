"""Lightning's part of a fit: one Lightning step per epoch runs every batch, with Lightning's own
step count, epoch-end loss, callbacks and loggers (the Trainer is built in one place)."""
from __future__ import annotations

import csv

import pytest
import torch
from omegaconf import OmegaConf

from strikebench.training.fast import company
from strikebench.training.lightning_fit import epoch_steps, run_lightning
from strikebench.training.models import build_model
from strikebench.training.module import RecBoleModule
from strikebench.training.recbole_config import recbole_config

EPOCHS = 2
BATCHES = 5


@pytest.fixture
def bpr_on_ml100k(compose_cfg, ml100k):
    """BPR on ML-100K's training rows (about 80,000) in batches of 20,000: 5 batches an epoch."""
    data, split = ml100k
    cfg = compose_cfg(["model=bpr", "model.train_batch_size=20000"])
    config = recbole_config(cfg, data.name, "cpu")
    dataset, loader = company.train_loader(config, data, split.train)
    model = build_model(cfg.model.name, config, dataset)
    trainer_cfg = OmegaConf.merge(cfg.trainer, {"max_epochs": EPOCHS})
    return model, loader, trainer_cfg


def test_an_epoch_is_one_lightning_step_over_every_batch(bpr_on_ml100k, tmp_path):
    import lightning as L

    model, loader, trainer_cfg = bpr_on_ml100k
    assert len(loader) == BATCHES
    losses = []  # every batch's loss, in order
    calculate_loss = model.calculate_loss
    model.calculate_loss = lambda batch: losses.append(calculate_loss(batch)) or losses[-1]  # noqa: E731

    seen = []

    class AtEpochEnd(L.Callback):
        def on_train_epoch_end(self, trainer, module):
            seen.append((trainer.global_step, float(trainer.callback_metrics["train/loss"])))

    module = RecBoleModule(model, None, None, 1e-3, 0.0, True, "valid/ndcg@10", [])
    logger = L.pytorch.loggers.CSVLogger(tmp_path / "logs", name="fit")
    trainer, checkpoint, resumed = run_lightning(module, loader, trainer_cfg, tmp_path / "work", validates=False,
                                                 data_parallel=False, callbacks=[AtEpochEnd()], loggers=[logger])
    assert checkpoint is None and resumed is None and trainer.current_epoch == EPOCHS
    assert len(losses) == EPOCHS * BATCHES  # every batch of every epoch trained once
    # global_step counts optimiser steps (one per batch); the logged loss is the epoch's mean.
    for epoch, (step, loss) in enumerate(seen):
        assert step == BATCHES * (epoch + 1)
        assert loss == pytest.approx(float(torch.stack(losses[BATCHES * epoch:BATCHES * (epoch + 1)]).detach().mean()), rel=1e-6)
    with open(next((tmp_path / "logs").rglob("metrics.csv"))) as rows:
        logged = [float(r["train/loss"]) for r in csv.DictReader(rows) if r.get("train/loss")]
    assert logged == pytest.approx([loss for _, loss in seen])  # a logger passed in sees each epoch once


def test_under_ddp_lightning_feeds_the_batches_one_step_each(bpr_on_ml100k):
    model, loader, _ = bpr_on_ml100k
    module = RecBoleModule(model, None, None, 1e-3, 0.0, True, "valid/ndcg@10", [])
    one_step = epoch_steps(module, loader, data_parallel=False)
    assert len(one_step) == 1 and module.epoch_loader is loader
    assert epoch_steps(module, loader, data_parallel=True) is loader and module.epoch_loader is None
