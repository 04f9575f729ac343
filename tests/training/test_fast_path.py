"""The fast data path trains RecBole models as well as RecBole's own loader does (ML-100K).

Every model that ``trainer.data_path=auto`` moves to the fast path is trained on both paths
with the same config (``benchmarks.seed_noise.overrides``: trainer=tiny, 5 epochs, early
stopping off, p = 0) and seeds ``SEEDS``, through ``fit_company`` as a cell trains it; the mean
test NDCG@10 of the two paths must agree within ``BAND_SDS`` seed standard deviations of that
model (``SEED_SD``).

``SEED_SD``: the standard deviation of test NDCG@10 over seeds 0-3, in these settings, pooled
over both paths (6 degrees of freedom), measured on a 2-core CPU on 2026-11-29 with
``python -m benchmarks.seed_noise`` (the per-path values are in docs/performance.md). With two
seeds per path, the difference of the two means has a standard deviation of about one
``SEED_SD``, so a 4-sd band fails a correct path about once in 15,000 runs (an sd estimated
from 6 degrees of freedom may be low: at its 5 % lower bound the band is 2.6 true sd, about one
run in 100). It catches a path that trains markedly worse (a broken batch layout, a wrong batch
size, negatives from the wrong distribution), not a subtle sampling bias, which
tests/training/test_negative_sampling.py checks directly.

That strikebench's full-ranking evaluator equals RecBole's Trainer.evaluate within 1e-6 is
tested in tests/evaluation/test_recbole_equivalence.py (and measured at every benchmark size by
``python -m benchmarks.run``, field ``eval_equivalence_abs_diff``).
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from benchmarks.seed_noise import fit_and_test, overrides
from strikebench.training.fast import company
from strikebench.training.models import build_model
from strikebench.training.recbole_config import recbole_config

SEEDS = (0, 1)
BAND_SDS = 4
SEED_SD = {  # model config -> sd of test NDCG@10 over seeds (see the module docstring)
    "bpr": 0.0035, "enmf": 0.0048, "lightgcn": 0.0121, "multidae": 0.0064, "multivae": 0.0050, "neumf": 0.0130,
    "ngcf": 0.0105, "recvae": 0.0046, "sgl": 0.0098,
}


def test_every_model_auto_moves_to_the_fast_path_has_a_quality_test(compose_cfg):
    from strikebench.config.paths import config_options
    from strikebench.training.check import resolved_data_path

    switched = set()
    for name in config_options("model"):
        cfg = compose_cfg([f"model={name}", *(["split=sequential"] if name in ("bert4rec", "gru4rec", "sasrec")
                                               else [])])
        if resolved_data_path(cfg.trainer, cfg.model) == "fast":
            switched.add(name)
    assert switched == set(SEED_SD)


# BPR and MultiVAE in every run; the other models with --heavy (about 3 minutes more on 2 cores).
IN_EVERY_RUN = ("bpr", "multivae")


@pytest.mark.slow
@pytest.mark.parametrize("name", [n if n in IN_EVERY_RUN else pytest.param(n, marks=pytest.mark.heavy)
                                  for n in sorted(SEED_SD)])
def test_auto_switched_model_matches_recbole_quality(name, compose_cfg, ml100k, tmp_path):
    data, split = ml100k
    means = {}
    for path in ("recbole", "fast"):
        scores = []
        for seed in SEEDS:
            cfg = compose_cfg(overrides(name, path, seed))
            ndcg, trained_on = fit_and_test(cfg, data, split, tmp_path / f"{path}-{seed}")
            assert trained_on == path
            scores.append(ndcg)
        means[path] = float(np.mean(scores))
    assert min(means.values()) > 0.03  # both trained: Random is at 0.009 on this split
    assert abs(means["fast"] - means["recbole"]) <= BAND_SDS * SEED_SD[name], means


def test_user_batch_and_pointwise_models_train_on_the_fast_path(compose_cfg, ml100k):
    """MultiVAE (user batches) and NeuMF (pointwise, labels) take the fast batches as they are and
    learn from them: 20 Adam steps lower the loss of the loader's first batch (MultiVAE 698 -> 636,
    NeuMF 0.694 -> 0.683 when written; the same dropout draws before and after)."""
    data, split = ml100k
    for model_name in ("multivae", "neumf"):
        cfg = compose_cfg([f"model={model_name}", "seed=0"])
        config = recbole_config(cfg, data.name, "cpu")
        dataset, loader = company.train_loader(config, data, split.train)
        model = build_model(cfg.model.name, config, dataset)
        optimizer = torch.optim.Adam(model.parameters(), lr=float(cfg.model.learning_rate))
        first = next(iter(loader))

        def first_loss() -> float:
            torch.manual_seed(0)
            with torch.no_grad():
                return float(model.calculate_loss(first))

        before = first_loss()
        for batch in itertools.islice(itertools.chain.from_iterable(itertools.repeat(loader, 3)), 20):
            optimizer.zero_grad()
            loss = model.calculate_loss(batch)
            loss.backward()
            optimizer.step()
            assert np.isfinite(float(loss.detach())), model_name
        assert first_loss() < 0.99 * before, model_name


def test_unsupported_models_are_refused_by_name(compose_cfg, ml100k):
    data, split = ml100k
    cfg = compose_cfg(["model=sasrec", "split=sequential"])
    config = recbole_config(cfg, data.name, "cpu")
    with pytest.raises(ValueError, match="data_path=recbole"):
        company.train_loader(config, data, split.train, sequential=True)
    from strikebench.training.fast import unsupported_reason

    assert "SEQUENTIAL" in unsupported_reason(config)
