"""A LightningModule around any RecBole general recommender."""
from __future__ import annotations

import lightning as L
import torch

from strikebench.evaluation.evaluator import evaluate_batch


class RecBoleModule(L.LightningModule):
    """Trains with ``model.calculate_loss``; validates NDCG@k on the company's valid set.

    Models without a gradient step (RecBole's TRADITIONAL type: Pop, ItemKNN, EASE) still
    see one pass over the data, since some (Pop) count interactions in ``calculate_loss``.
    """

    def __init__(self, model, score_fn, valid_context, learning_rate: float, weight_decay: float,
                 trainable: bool, monitor: str):
        super().__init__()
        self.model = model
        self.score_fn = score_fn
        self.valid_context = valid_context
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.trainable = trainable
        self.monitor = monitor
        self.automatic_optimization = trainable
        self._valid_sum = 0.0
        self._valid_users = 0

    def training_step(self, batch, batch_idx):
        if not self.trainable:
            with torch.no_grad():
                self.model.calculate_loss(batch)
            return None
        loss = self.model.calculate_loss(batch)
        if isinstance(loss, tuple):  # some RecBole models return several loss terms
            loss = sum(loss)
        self.log("train/loss", loss, on_step=False, on_epoch=True, prog_bar=True, batch_size=1)
        return loss

    def validation_step(self, users, batch_idx):
        (users,) = users
        values = evaluate_batch(self.score_fn, users, self.valid_context)
        metric = values[self.monitor.split("/", 1)[1]]
        self._valid_sum += float(metric.sum())
        self._valid_users += len(users)

    def on_validation_epoch_end(self):
        value = self._valid_sum / max(self._valid_users, 1)
        self._valid_sum, self._valid_users = 0.0, 0
        self.log(self.monitor, value, prog_bar=True, sync_dist=True)

    def configure_optimizers(self):
        if not self.trainable:
            return None
        return torch.optim.Adam(self.model.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay)
