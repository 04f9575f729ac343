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
    phase's passes with that phase's own optimiser (manual optimisation).

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
        self.automatic_optimization = trainable and len(self.phases) <= 1
        self._valid_value = None
        self._phase = None

    def on_train_epoch_start(self):
        # RecBole's trainer calls model.train() at the start of every epoch; some models act on
        # it (SGL redraws its augmented graphs). Lightning only flips the `training` flags.
        if self.trainable:
            self.model.train()
        self._phase = None

    def training_step(self, batch, batch_idx):
        if not self.trainable:
            with torch.no_grad():
                self.model.calculate_loss(batch)
            return None
        if self.automatic_optimization:
            loss = self._loss(batch)
            self.log("train/loss", loss, on_step=False, on_epoch=True, prog_bar=True, batch_size=1, sync_dist=True)
            return loss
        index, batch = batch
        phase = self.phases[index]
        if index != self._phase:
            self._phase = index
            if phase.before is not None:
                phase.before(self.model)
            self.model.train()  # RecBole's _train_epoch starts every pass with model.train()
        optimizer = self.optimizers()[index]
        optimizer.zero_grad()
        loss = self._loss(batch, **phase.loss_kwargs)
        self.manual_backward(loss)
        optimizer.step()
        self.log("train/loss", loss, on_step=False, on_epoch=True, prog_bar=True, batch_size=1, sync_dist=True)
        return None

    def _loss(self, batch, **kwargs):
        loss = self.model.calculate_loss(batch, **kwargs)
        if isinstance(loss, tuple):  # some RecBole models return several loss terms
            loss = sum(loss)
        return loss

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
