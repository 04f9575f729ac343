"""The validation metric training early-stops on: built by evaluation, injected into training."""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from strikebench.evaluation.validation import validation_metric

# Users 1..3, items 1..5 (0 is RecBole's padding user and item).
#   train: u1 {i1, i2}, u2 {i2, i3}      -> popularity i1 1, i2 2, i3 1, i4 0, i5 0
#   valid: u1 i3, u2 i4, u3 i2           -> u3 has no training rows: ranked by popularity
DATA = SimpleNamespace(
    n_users=4, n_items=6,
    user=np.array([1, 1, 2, 2, 1, 2, 3]),
    item=np.array([1, 2, 2, 3, 3, 4, 2]),
)
TRAIN, VALID = np.array([0, 1, 2, 3]), np.array([4, 5, 6])
SCORES = torch.tensor([
    [0.0, 0, 0, 0, 0, 0],
    [9.0, 0, 0, 1, 5, 7],  # u1: i1, i2 masked; i3 is the only known item left -> rank 1
    [0.0, 3, 0, 0, 8, 2],  # u2: i2, i3 masked; i1 known first, then unknown i4, i5 by index -> i4 rank 2
    [5.0, 5, 5, 5, 5, 5],  # u3: never asked (no training data): popularity i2, i1, i3 -> i2 rank 1
])


def score_fn(users):
    return SCORES[users]


@pytest.mark.parametrize("batch_size", [1, 2, 1024])
def test_ndcg_over_valid_users_with_history_masked_and_popularity_fallback(batch_size):
    validate = validation_metric(DATA, TRAIN, VALID, "ndcg@2", "cpu", batch_size)
    # u1 hit at rank 1 (1), u2 at rank 2 (1 / log2 3), u3 by popularity at rank 1 (1)
    assert validate(score_fn) == pytest.approx((1 + 1 / math.log2(3) + 1) / 3, abs=1e-12)


def test_the_monitor_names_metric_and_cut_off():
    validate = validation_metric(DATA, TRAIN, VALID, "recall@1", "cpu", 1024)
    assert validate(score_fn) == pytest.approx(2 / 3, abs=1e-12)  # u1 and u3 hit at rank 1, u2 does not


def test_training_calls_the_injected_metric_once_per_validation_epoch(compose_cfg, tiny_data, tmp_path):
    from strikebench.data.split import make_split
    from strikebench.training.fit import fit_company

    cfg = compose_cfg(["model=bpr", "trainer.max_epochs=3", "trainer.patience=10", "trainer.eval_every=1"])
    split = make_split(tiny_data.user, tiny_data.timestamp, cfg.split)
    real = validation_metric(tiny_data, split.train, split.valid, cfg.trainer.monitor, "cpu", 1024)
    values = []

    def validate(score):
        values.append(real(score))
        return values[-1]

    fit = fit_company(cfg, tiny_data, split, split.train, split.valid, "cpu", tmp_path / "work", validate)
    assert len(values) == fit.epochs == 3
    assert fit.best_valid == pytest.approx(max(values), abs=1e-6)  # logged as float32 by Lightning
    assert values.index(max(values)) == fit.best_epoch  # first best (ModelCheckpoint keeps it on ties)
