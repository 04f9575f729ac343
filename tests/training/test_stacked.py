"""Several cells trained at once (strikebench.training.stacked, ``trainer.stack``).

A stacked cell must train as it would alone: its own rows, negatives, seed, early stopping
and best weights. The pieces are checked against their references (torch's Adam, RecBole's
``calculate_loss`` and ``get_rating_matrix``, Lightning's early stopping), and whole groups
against the same cells trained one at a time by ``fit_company``.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from benchmarks.study import ndcg_on_test, strike_members
from strikebench.errors import ConfigError
from strikebench.evaluation.validation import validation_metric
from strikebench.training.fast.loader import FastTrainLoader
from strikebench.training.stacked import (StackMember, check, clear_checkpoint, fit_alone, fit_cells, fit_stacked,
                                          group_key, stack_size, stacks, unsupported_reason)
from strikebench.training.stacked import checkpoint
from strikebench.training.stacked.adam import StackedAdam
from strikebench.training.stacked.batches import EpochBatches, stack_order
from strikebench.training.stacked.loss import StackedLoss, gradients
from strikebench.training.stacked.members import build_cell
from strikebench.training.stacked.models import (before_step, rating_matrix, stack_cell_tensors,
                                                 stacking_template)
from strikebench.training.stacked.parts import recbole_config
from strikebench.training.stacked.progress import CellProgress, from_tensor, to_tensor
from tests.conftest import TINY_SETTINGS, write_atomic


@pytest.fixture(autouse=True)
def one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """(data, split): 40 users in two taste groups over 30 items, 8 to 14 interactions each."""
    from omegaconf import OmegaConf

    from strikebench.data.interactions import load_interactions
    from strikebench.data.split import make_split

    rng = np.random.default_rng(3)
    rows, t = [], 0
    for u in range(40):
        liked = np.arange(1, 16) if u % 2 else np.arange(16, 31)
        for i in rng.choice(liked, size=int(rng.integers(8, 15)), replace=False):
            t += 1
            rows.append((f"u{u}", f"i{i}", 5, t))
    folder = write_atomic(tmp_path_factory.mktemp("stacked"), "small", rows)
    data = load_interactions("small", folder, TINY_SETTINGS)
    split = make_split(data.user, data.timestamp, OmegaConf.create(
        {"seed": 2020, "order": "RO", "mode": "RS", "ratios": [0.8, 0.1, 0.1]}))
    return data, split


def cell_cfg(compose_cfg, model="bpr", *overrides):
    return compose_cfg([f"model={model}", "trainer.data_path=fast", "model.train_batch_size=64", *overrides])


def members_of(data, split, seeds=(0, 1, 2), dropped=(0.0, 0.3, 0.6), validate=True):
    """One member per (seed, share of users whose rows are dropped): a random-strike cell each."""
    out = []
    for seed, share in zip(seeds, dropped):
        gone = np.random.default_rng(seed).permutation(data.n_users)[: int(share * data.n_users)]
        train = split.train[~np.isin(data.user[split.train], gone)]
        valid = split.valid[~np.isin(data.user[split.valid], gone)]
        check_fn = validation_metric(data, train, valid, "ndcg@10", "cpu", 1024) if validate else None
        out.append(StackMember(f"cell{seed}", data, train, valid, seed, check_fn))
    return out


def all_scores(fit, n_users):
    with torch.no_grad():
        return fit.score_fn(torch.arange(1, n_users)).clone()


# --- configuration ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, -3, "4", 2.5, True, None])
def test_trainer_stack_must_be_a_positive_integer(value):
    with pytest.raises(ConfigError, match=r"trainer\.stack: must be a positive integer"):
        check({"stack": value})


def test_trainer_stack_default_and_values(compose_cfg):
    assert stack_size(compose_cfg([]).trainer) == 1  # conf/trainer/default.yaml: off
    assert stack_size({"stack": 16}) == 16
    with pytest.raises(ConfigError, match=r"trainer\.stack.*ddp"):
        check({"stack": 4, "strategy": "ddp"})
    check({"stack": 1, "strategy": "ddp"})


def test_trainer_stack_does_not_change_the_cell_key(compose_cfg):
    from omegaconf import OmegaConf

    from strikebench.results.keys import cell_key

    keys = {cell_key(OmegaConf.to_container(compose_cfg([f"trainer.stack={k}"]), resolve=True)) for k in (1, 16)}
    assert len(keys) == 1


def test_cells_of_one_group_differ_only_in_seed_and_strike(compose_cfg):
    from omegaconf import OmegaConf

    def key(*overrides):
        return group_key(OmegaConf.to_container(compose_cfg(["model=bpr", *overrides]), resolve=True))

    base = key()
    assert key("seed=7", "strike.participation=0.3") == base == key("trainer.stack=16", "work_dir=/elsewhere")
    assert key("model.learning_rate=0.01") != base and key("model=neumf") != base and key("split.seed=1") != base


def test_which_models_stack():
    for name in ("BPR", "NeuMF", "MultiVAE", "MultiDAE"):
        assert unsupported_reason(name) is None
    for name in ("LightGCN", "Pop", "EASE", "SASRec", "RecVAE"):
        assert "one cell at a time" in unsupported_reason(name)


# --- the pieces against their references --------------------------------------------------------


def test_stacked_adam_steps_each_cell_as_torch_adam_does():
    """Three cells stepping on different schedules: each as its own torch.optim.Adam, and a
    cell that does not step does not move (torch's Adam would move it with a zero gradient)."""
    gen = torch.Generator().manual_seed(0)
    start = {"w": torch.randn(3, 4, 5, generator=gen), "b": torch.randn(3, 5, generator=gen)}
    stacked = StackedAdam(start, lr=0.01, weight_decay=0.1)
    alone = [{n: v[k].clone().requires_grad_() for n, v in start.items()} for k in range(3)]
    optimisers = [torch.optim.Adam(list(p.values()), lr=0.01, weight_decay=0.1) for p in alone]
    for rows in [slice(0, 3), slice(0, 2), slice(2, 3), slice(0, 3), slice(1, 2), slice(0, 1)] * 3:
        grads = {n: torch.randn(rows.stop - rows.start, *v.shape[1:], generator=gen) for n, v in start.items()}
        before = {n: v.clone() for n, v in stacked.params.items()}
        stacked.step(rows, grads)
        for k in range(rows.start, rows.stop):
            for n, p in alone[k].items():
                p.grad = grads[n][k - rows.start].clone()
            optimisers[k].step()
        idle = [k for k in range(3) if not rows.start <= k < rows.stop]
        for n in start:
            assert all(torch.equal(stacked.params[n][k], before[n][k]) for k in idle)
    for k in range(3):
        for n, p in alone[k].items():
            torch.testing.assert_close(stacked.params[n][k], p.detach(), rtol=1e-6, atol=1e-7)
    assert stacked.steps.tolist() == [12.0, 12.0, 9.0]


@pytest.mark.parametrize("model", ["bpr", "neumf", "multivae", "multidae"])
def test_stacked_loss_and_gradients_equal_recbole_per_cell(compose_cfg, small, model):
    """vmap over RecBole's own calculate_loss: each cell's loss and gradients as its own model's
    (eval mode: no dropout), with per-cell histories of different lengths padded."""
    data, split = small
    cfg = cell_cfg(compose_cfg, model)
    config = recbole_config(cfg, data.name, "cpu")
    members = members_of(data, split, seeds=(0, 1), dropped=(0.0, 0.0))
    counts = np.bincount(data.user[split.train])
    members[1].train_rows = split.train[counts[data.user[split.train]] < counts.max()]  # a shorter longest history
    built = [build_cell(config, cfg.model.name, m) for m in members]
    models = [m.eval() for m, _ in built]
    batches = [next(iter(loader)) for _, loader in built]
    length = min(b.length for b in batches)
    fields = {n: torch.stack([b.interaction[n][:length] for b in batches]) for n in batches[0].interaction}
    template = stacking_template(models[0]).eval()
    tensors = stack_cell_tensors(models)
    if model.startswith("multi"):  # the two companies' histories differ in length: padding is exercised
        widths = {m.history_item_id.shape[1] for m in models}
        assert len(widths) == 2 and tensors["history_item_id"].shape[2] == max(widths)
    params = {n: torch.stack([dict(m.named_parameters())[n].detach() for m in models])
              for n, _ in models[0].named_parameters()}
    before_step(template, 5) if hasattr(template, "update") else None
    losses, grads = gradients(StackedLoss(template), params, tensors, fields)
    for k, m in enumerate(models):
        if hasattr(m, "update"):
            m.update = 5  # MultiVAE's anneal counter, as before_step set it
        m.zero_grad()
        batch = type(batches[k])({n: v[k] for n, v in fields.items()})
        loss = m.calculate_loss(batch)
        loss.backward()
        torch.testing.assert_close(losses[k], loss.detach(), rtol=1e-5, atol=1e-6)
        for n, p in m.named_parameters():
            expected = p.grad if p.grad is not None else torch.zeros_like(p)
            torch.testing.assert_close(grads[n][k], expected, rtol=1e-4, atol=1e-6)


def test_rating_matrix_equals_recbole_get_rating_matrix(compose_cfg, small):
    data, split = small
    cfg = cell_cfg(compose_cfg, "multivae")
    model, _ = build_cell(recbole_config(cfg, data.name, "cpu"), "MultiVAE", members_of(data, split)[1])
    users = torch.tensor([0, 3, 1, 39, 3])
    assert torch.equal(rating_matrix(model, users), model.get_rating_matrix(users))


def pairwise_loader(n_rows: int, seed: int) -> FastTrainLoader:
    users = np.arange(n_rows) % 3 + 1
    items = np.arange(n_rows) + 1
    return FastTrainLoader(users, items, 4, 12, batch_size=2, mode="pairwise", num_neg=1, seed=seed)


def test_epoch_batches_step_cells_with_full_batches_together():
    """Cells of 5, 3 and 4 rows, 2 a batch: 3, 2 and 2 batches (last ones 1, 1 and 2 rows).
    Stack order: most batches, then largest last batch: the 5-, 4-, then 3-row cell. Worked out
    by hand: tick 0 all three together; tick 1 the first two (full) and the 3-row cell's last
    batch of 1; tick 2 the 5-row cell's last batch of 1."""
    loaders = [pairwise_loader(5, 0), pairwise_loader(3, 1), pairwise_loader(4, 2)]
    order = stack_order(loaders)
    assert order == [0, 2, 1]
    epoch = EpochBatches([loaders[i] for i in order])
    layout = [[(g.rows, g.length) for g in epoch.at(t)] for t in range(epoch.ticks)]
    assert layout == [[(slice(0, 3), 2)], [(slice(0, 2), 2), (slice(2, 3), 1)], [(slice(0, 1), 1)]]
    seen = {row: [] for row in range(3)}
    for t in range(epoch.ticks):
        for group in epoch.at(t):
            for offset, row in enumerate(range(group.rows.start, group.rows.stop)):
                seen[row] += list(zip(group.fields["user_id"][offset].tolist(), group.fields["item_id"][offset].tolist(),
                                      group.fields["neg_item_id"][offset].tolist()))
    for row, i in enumerate(order):  # each training row once an epoch, negatives not the user's items
        loader = loaders[i]
        assert sorted((u, p) for u, p, _ in seen[row]) == sorted(zip(loader.users.tolist(), loader.items.tolist()))
        held = set(zip(loader.users.tolist(), loader.items.tolist()))
        assert all((u, n) not in held and 1 <= n < 12 for u, _, n in seen[row])


def test_progress_stops_as_lightning_early_stopping_does():
    p = CellProgress()
    improved = [p.validated(e, v, patience=3) for e, v in enumerate([0.1, 0.3, 0.3, 0.2, 0.25])]
    assert improved == [True, True, False, False, False]
    assert (p.best_epoch, p.best_valid, p.wait, p.stopped) == (1, 0.3, 3, True)
    q = CellProgress()
    assert q.validated(0, 0.2, 3) and not q.validated(1, math.nan, 3) and q.stopped and q.best_epoch == 0
    table = to_tensor([p, q, CellProgress(epochs=2)])
    assert from_tensor(table) == [p, q, CellProgress(epochs=2)]


# --- whole groups --------------------------------------------------------------------------------


def test_stacked_bpr_cells_train_exactly_as_alone(compose_cfg, small, tmp_path):
    """BPR has no dropout: with the same seed (initial weights, batch order, negatives) and Adam,
    a stacked cell follows the same trajectory as fit_company alone, up to float rounding."""
    data, split = small
    cfg = cell_cfg(compose_cfg, "bpr", "trainer.max_epochs=6", "trainer.patience=2")
    members = members_of(data, split)
    group = fit_stacked(cfg, members, "cpu", tmp_path / "group")
    assert group.data_path == "fast" and len(group.results) == 3
    for k, (member, fit) in enumerate(zip(members, group.results)):
        alone = fit_alone(cfg, member, split, "cpu", tmp_path / f"alone{k}")
        assert (fit.epochs, fit.best_epoch) == (alone.epochs, alone.best_epoch)
        assert fit.best_valid == pytest.approx(alone.best_valid, abs=1e-6)
        torch.testing.assert_close(all_scores(fit, data.n_users), all_scores(alone, data.n_users), rtol=1e-4, atol=1e-5)


class Scripted:
    """A validation that returns scripted values and keeps the scores it was shown."""

    def __init__(self, values, n_users, fail_at=None):
        self.values, self.n_users, self.fail_at, self.scores = list(values), n_users, fail_at, []

    def __call__(self, score_fn):
        if self.fail_at is not None and len(self.scores) == self.fail_at:
            raise RuntimeError("killed")
        self.scores.append(score_fn(torch.arange(1, self.n_users)).clone())
        return self.values[len(self.scores) - 1]


def test_a_stopped_cell_keeps_its_best_weights_while_the_others_train_on(compose_cfg, small, tmp_path):
    data, split = small
    cfg = cell_cfg(compose_cfg, "bpr", "trainer.max_epochs=5", "trainer.patience=2")
    members = members_of(data, split, validate=False)
    stopping = Scripted([0.5, 0.4, 0.4, 0.9, 0.9], data.n_users)  # best after epoch 0, stops after epoch 2
    rising = Scripted([0.1, 0.2, 0.3, 0.4, 0.35], data.n_users)  # best after epoch 3, trains all 5
    members[0].validate, members[1].validate = stopping, rising  # members[2]: no validation
    fits = fit_stacked(cfg, members, "cpu", tmp_path).results
    assert [(f.epochs, f.best_epoch, f.best_valid) for f in fits] == [(3, 0, 0.5), (5, 3, 0.4), (5, None, None)]
    assert len(stopping.scores) == 3 and len(rising.scores) == 5  # never validated after it stopped
    assert torch.equal(all_scores(fits[0], data.n_users), stopping.scores[0])
    assert torch.equal(all_scores(fits[1], data.n_users), rising.scores[3])
    assert not torch.equal(stopping.scores[0], stopping.scores[2])  # it did train until it stopped


def test_a_killed_group_resumes_to_the_same_models(compose_cfg, small, tmp_path):
    data, split = small
    cfg = cell_cfg(compose_cfg, "bpr", "trainer.max_epochs=4", "trainer.patience=5")
    reference = fit_stacked(cfg, members_of(data, split), "cpu", tmp_path / "reference")
    killed = members_of(data, split)
    killed[0].validate = Scripted([0.1] * 4, data.n_users, fail_at=2)  # dies validating epoch 2
    with pytest.raises(RuntimeError, match="killed"):
        fit_stacked(cfg, killed, "cpu", tmp_path / "group")
    state = torch.load(checkpoint.path_in(tmp_path / "group"), weights_only=True)
    assert int(state["epoch"]) == 2 and all(torch.is_tensor(v) for v in state.values())
    resumed = fit_stacked(cfg, members_of(data, split), "cpu", tmp_path / "group")
    assert resumed.resumed_from_epoch == 1
    for a, b in zip(resumed.results, reference.results):
        assert (a.epochs, a.best_epoch, a.best_valid) == (b.epochs, b.best_epoch, b.best_valid)
        assert torch.equal(all_scores(a, data.n_users), all_scores(b, data.n_users))
    # Finished: a rerun (the orchestrator writing the records left) trains and validates nothing.
    again = members_of(data, split)
    watched = Scripted([0.0] * 4, data.n_users)
    again[1].validate = watched
    rerun = fit_stacked(cfg, again, "cpu", tmp_path / "group")
    assert watched.scores == [] and rerun.resumed_from_epoch == 3
    assert torch.equal(all_scores(rerun.results[1], data.n_users), all_scores(reference.results[1], data.n_users))
    with pytest.raises(ValueError, match="another stacked group"):
        fit_stacked(cfg, members_of(data, split, seeds=(5, 6, 7)), "cpu", tmp_path / "group")
    clear_checkpoint(tmp_path / "group")
    assert not checkpoint.path_in(tmp_path / "group").exists()


def test_models_that_do_not_stack_train_one_at_a_time(compose_cfg, small, tmp_path):
    data, split = small
    cfg = compose_cfg(["model=pop", "trainer.stack=4"])
    members = members_of(data, split, seeds=(0, 1), dropped=(0.0, 0.5))
    assert "Pop is not one of the models that train stacked" in stacks(cfg, 2)
    group = fit_cells(cfg, members, split, "cpu", tmp_path)
    assert group.data_path == "recbole" and len(group.results) == 2
    popular = [int(torch.argmax(all_scores(f, data.n_users)[0])) for f in group.results]
    for member, item in zip(members, popular):  # each counted its own company's rows
        counts = np.bincount(data.item[member.train_rows], minlength=data.n_items)
        assert counts[item] == counts.max()
    with pytest.raises(ValueError, match="3 cells for a group of trainer.stack=2"):
        fit_cells(compose_cfg(["model=bpr", "trainer.stack=2"]), members_of(data, split), split, "cpu", tmp_path)
    assert stacks(compose_cfg(["model=bpr"]), 3) == "trainer.stack=1"
    assert stacks(compose_cfg(["model=bpr", "trainer.stack=8"]), 3) is None


# --- quality on ML-100K --------------------------------------------------------------------------


# BPR: no dropout, so stacked and alone differ by float rounding only (measured: below 1e-6).
# MultiVAE: its dropout and sampling draw other random numbers stacked; measured with these
# settings (4 cells, 2026-11-29): stacked - alone +0.0024, +0.0026, -0.0001, -0.0066, while
# the seeds' standard deviation alone is 0.007. NeuMF (measured, too slow for a test: its
# validation scores every user-item pair): differences +0.0005, -0.0006, +0.0006, -0.0001,
# seed sd 0.002.
QUALITY = {"bpr": (8, 0.002), "multivae": (5, 0.02)}  # model: (max_epochs, band per cell)


@pytest.mark.slow
@pytest.mark.parametrize("model", ["bpr", pytest.param("multivae", marks=pytest.mark.heavy)])
def test_stacked_cells_match_alone_quality_on_ml100k(compose_cfg, ml100k, tmp_path, model):
    data, split = ml100k
    epochs, band = QUALITY[model]
    cfg = compose_cfg([f"model={model}", "trainer.data_path=fast", f"trainer.max_epochs={epochs}"])
    members = strike_members(cfg, data, split, [(0.0, 0), (0.1, 1), (0.3, 2), (0.5, 3)])
    group = fit_stacked(cfg, members, "cpu", tmp_path / "group")
    stacked = [ndcg_on_test(data, split, m, f.score_fn) for m, f in zip(members, group.results)]
    alone = [ndcg_on_test(data, split, m, fit_alone(cfg, m, split, "cpu", tmp_path / m.key).score_fn)
             for m in members]
    assert alone[0] > 0.18  # the full-data cell trained: popularity ranks at about 0.14 here
    assert np.abs(np.array(stacked) - np.array(alone)).max() <= band
    assert np.mean(stacked) == pytest.approx(np.mean(alone), abs=band / 2)


# --- the benchmark's pieces ----------------------------------------------------------------------


def test_study_summary_has_the_keys_of_the_study_preset():
    from benchmarks.study import summary

    runs = {"recbole": {"seconds": 600.0, "cells": 64, "cells_per_hour": 384.0},
            "fast": {"seconds": 300.0, "cells": 64, "cells_per_hour": 768.0},
            "stacked:16": {"seconds": 150.0, "cells": 64, "cells_per_hour": 1536.0}}
    assert summary(runs, 16) == {"cells": 64, "stack": 16, "sequential_s": 600.0, "fast_s": 300.0,
                                 "stacked_s": 150.0, "speedup": 4.0, "fast_speedup": 2.0,
                                 "cells_per_hour": {"recbole": 384.0, "fast": 768.0, "stacked:16": 1536.0}}


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the preset's skip without a GPU")
def test_gpu_preset_is_skipped_without_a_gpu(tmp_path):
    import json

    from benchmarks.stacked import main

    assert main(["--preset", "gpu", "--out", str(tmp_path / "gpu.json")]) == 0
    assert json.loads((tmp_path / "gpu.json").read_text()) == {"preset": "gpu", "skipped": "no CUDA device"}
