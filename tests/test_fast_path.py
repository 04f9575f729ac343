"""The fast data path trains RecBole models as well as RecBole's own loader does (ML-100K).

Quality band: BPR, 5 epochs, same config and seed, NDCG@10 on the fixed test set within
``BAND`` = 0.02 of the RecBole path. Measured on this split with seeds 0-9 (5 epochs each,
2 CPU cores, 2026-11-27): RecBole path 0.2438 +- 0.0042 (sd), fast path 0.2429 +- 0.0050;
paired difference -0.0009 +- 0.0049, largest 0.0101, paired t-test p = 0.57. The band is about
four standard deviations of the paired difference: it catches a path that trains markedly worse
(a broken batch layout, a wrong batch size), not a subtle sampling bias, which
tests/test_negative_sampling.py checks directly.

That strikebench's full-ranking evaluator equals RecBole's Trainer.evaluate within 1e-6 is
tested in tests/test_recbole_equivalence.py (and measured at every benchmark size by
``python -m benchmarks.run``, field ``eval_equivalence_abs_diff``).
"""
from __future__ import annotations

import itertools

import lightning as L
import numpy as np
import pytest
import torch

from strikebench.evaluation.evaluator import EvalContext, evaluate
from strikebench.training.fast import company
from strikebench.training.loaders import train_loader
from strikebench.training.models import build_model
from strikebench.training.module import RecBoleModule
from strikebench.training.recbole_config import recbole_config
from strikebench.training.scoring import score_function

BAND = 0.02
EPOCHS = 5


@pytest.fixture(autouse=True)
def one_torch_thread():
    """These models are tiny: one thread is as fast, and two OpenMP threads on a busy 2-core
    machine spin-wait each other into runs tens of times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def train_and_test(cfg, data, split, path: str, epochs: int) -> float:
    """fit_company's training with the loader of ``path`` and no early stopping; test NDCG@10."""
    from recbole.utils import init_seed

    seed = int(cfg.seed)
    config = recbole_config(cfg, data.name, "cpu")
    init_seed(seed, True)
    L.seed_everything(seed, verbose=False)
    make_loader = train_loader if path == "recbole" else company.train_loader
    dataset, loader = make_loader(config, data, split.train, split.valid, split.test)
    model = build_model(cfg.model.name, config, dataset)
    module = RecBoleModule(model, None, None, float(cfg.model.learning_rate), 0.0, True, "valid/ndcg@10", [])
    trainer = L.Trainer(max_epochs=epochs, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, limit_val_batches=0,
                        num_sanity_val_steps=0)
    trainer.fit(module, train_dataloaders=loader)
    model.eval()
    ctx = EvalContext.build(
        data.n_users, data.n_items, eval_pairs=(data.user[split.test], data.item[split.test]),
        history_pairs=(np.concatenate([data.user[split.train], data.user[split.valid]]),
                       np.concatenate([data.item[split.train], data.item[split.valid]])),
        train_items=data.item[split.train], train_users=data.user[split.train], ks=[10], metrics=("ndcg",))
    return float(evaluate(score_function(model, dataset.uid_field), ctx)["ndcg@10"].mean())


def test_bpr_fast_path_matches_recbole_path_quality(compose_cfg, ml100k):
    data, split = ml100k
    cfg = compose_cfg(["model=bpr", "seed=0"])
    recbole = train_and_test(cfg, data, split, "recbole", EPOCHS)
    fast = train_and_test(cfg, data, split, "fast", EPOCHS)
    assert recbole > 0.2 and fast > 0.2  # both trained (popularity is far below)
    assert fast == pytest.approx(recbole, abs=BAND)


def test_user_batch_and_pointwise_models_train_on_the_fast_path(compose_cfg, ml100k):
    """MultiVAE (user batches) and NeuMF (pointwise, labels) take the fast batches as they are."""
    data, split = ml100k
    for model_name in ("multivae", "neumf"):
        cfg = compose_cfg([f"model={model_name}", "seed=0"])
        config = recbole_config(cfg, data.name, "cpu")
        dataset, loader = company.train_loader(config, data, split.train)
        model = build_model(cfg.model.name, config, dataset)
        optimizer = torch.optim.Adam(model.parameters(), lr=float(cfg.model.learning_rate))
        losses = []
        for batch in itertools.islice(loader, 10):
            optimizer.zero_grad()
            loss = model.calculate_loss(batch)
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
        assert losses and all(np.isfinite(losses)), model_name


def test_unsupported_models_are_refused_by_name(compose_cfg, ml100k):
    data, split = ml100k
    cfg = compose_cfg(["model=sasrec", "split=sequential"])
    config = recbole_config(cfg, data.name, "cpu")
    with pytest.raises(ValueError, match="data_path=recbole"):
        company.train_loader(config, data, split.train, sequential=True)
    from strikebench.training.fast import unsupported_reason

    assert "SEQUENTIAL" in unsupported_reason(config)
