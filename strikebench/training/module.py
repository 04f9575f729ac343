"""A LightningModule around any RecBole general or sequential recommender."""
from __future__ import annotations

from typing import Callable

import lightning as L
import torch

from strikebench.training.scoring import ScoreFn


class RecBoleModule(L.LightningModule):
    """Trains with ``model.calculate_loss``; validates with ``valid_metric(score_fn)``, the monitored
    metric (e.g. NDCG@10) on the company's valid set, once per validation epoch.

    One epoch does what one epoch of RecBole's trainer for the model does: one pass with one
    Adam optimiser over all parameters, or, for models with several ``phases`` (RecVAE), each
    phase's passes with that phase's own optimiser, whose batches come as (phase, batch).

    The optimisation is manual, and by default a whole epoch is one Lightning step
    (``epoch_loader``, set by ``lightning_fit``): Lightning's per-batch loop (hooks, closure,
    logging) cost as much as the training step itself on small batches. Epochs, validation,
    early stopping, checkpoints and resuming keep Lightning's semantics, which are per epoch.
    Under DDP Lightning feeds the batches one step each, since every backward pass needs its own
    forward through the DDP wrapper. The loss is summed on the device and logged once an epoch:
    no host synchronisation per batch.

    Models without a gradient step (RecBole's TRADITIONAL type: Pop, ItemKNN, EASE) still
    see one pass over the data, since some (Pop) count interactions in ``calculate_loss``.

    RecBole models cache derived tensors (LightGCN's propagated embeddings, DMF's item
    embeddings) in ``other_parameter()``; RecBole's trainer saves them with the best
    checkpoint and restores them with it, and so does this module.
    """

    def __init__(self, model, score_fn: ScoreFn, valid_metric: Callable[[ScoreFn], float] | None,
                 learning_rate: float, weight_decay: float, trainable: bool, monitor: str, phases=None):
        super().__init__()
        self.model = model
        self.score_fn = score_fn
        self.valid_metric = valid_metric
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.trainable = trainable
        self.monitor = monitor
        self.phases = list(phases or [])
        self.automatic_optimization = False
        self.epoch_loader = None  # set: one Lightning step runs the whole epoch over it
        self._valid_value = None
        self._phase = None
        self._loss_sum = None
        self._steps = 0

    def on_train_epoch_start(self):
        # RecBole's trainer calls model.train() at the start of every epoch; some models act on
        # it (SGL redraws its augmented graphs). Lightning only flips the `training` flags.
        if self.trainable:
            self.model.train()
        self._phase = None
        self._loss_sum, self._steps = None, 0

    def training_step(self, batch, batch_idx):
        if self.epoch_loader is None:
            self._train_batch(batch)
            return None
        for each in self.epoch_loader:
            self._train_batch(each)
        self._log_loss()
        return None

    def on_train_epoch_end(self):
        if self.epoch_loader is None:
            self._log_loss()

    def _train_batch(self, batch) -> None:
        if not self.trainable:
            with torch.no_grad():
                self.model.calculate_loss(batch)
            return
        index, phase = 0, None
        if self.phases and len(self.phases) > 1:
            index, batch = batch
            phase = self.phases[index]
            if index != self._phase:
                self._phase = index
                if phase.before is not None:
                    phase.before(self.model)
                self.model.train()  # RecBole's _train_epoch starts every pass with model.train()
        optimizer = self._optimizers()[index]
        optimizer.zero_grad()
        loss = self._loss(batch, **(phase.loss_kwargs if phase is not None else {}))
        self.manual_backward(loss)
        optimizer.step()
        loss = loss.detach()
        self._loss_sum = loss if self._loss_sum is None else self._loss_sum + loss
        self._steps += 1

    def _optimizers(self) -> list:
        # Lightning's wrappers: their steps count global_step, which checkpoints are saved by.
        optimizers = self.optimizers()
        return optimizers if isinstance(optimizers, list) else [optimizers]

    def _loss(self, batch, **kwargs):
        loss = self.model.calculate_loss(batch, **kwargs)
        if isinstance(loss, tuple):  # some RecBole models return several loss terms
            loss = sum(loss)
        return loss

    def _log_loss(self) -> None:
        if self._steps:  # the epoch's mean loss: the one host synchronisation of the epoch
            self.log("train/loss", self._loss_sum / self._steps, on_step=False, on_epoch=True, prog_bar=True,
                     batch_size=1, sync_dist=True)

    def validation_step(self, batch, batch_idx):
        # The validation loader holds one batch: it only starts the pass (the model in eval
        # mode, no gradients); the metric scores every valid user itself.
        self._valid_value = self.valid_metric(self.score_fn)

    def on_validation_epoch_end(self):
        self.log(self.monitor, self._valid_value, prog_bar=True, sync_dist=True)

    def on_save_checkpoint(self, checkpoint):
        checkpoint["recbole_other_parameter"] = {
            k: v for k, v in (self.model.other_parameter() or {}).items() if v is None or torch.is_tensor(v)
        }

    def on_load_checkpoint(self, checkpoint):
        self.model.load_other_parameter(checkpoint.get("recbole_other_parameter"))

    def configure_optimizers(self):
        if not self.trainable:
            return None
        if len(self.phases) <= 1:
            return torch.optim.Adam(self.model.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay)
        return [torch.optim.Adam(phase.parameters(self.model), lr=self.learning_rate, weight_decay=self.weight_decay)
                for phase in self.phases]
