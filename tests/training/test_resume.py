"""A cell killed mid-training and run again resumes from its checkpoint and ends exactly where the
same cell run in one go ends: same weights, same metrics, Lightning's state restored.

The interruption is real: a ``strikebench`` process (tests/killed_cell.py) dies without clean-up
in the middle of epoch K + 1, leaving the checkpoint of epoch K. The relaunch must start epoch
K + 1 with the uninterrupted run's global step, optimiser moments, early-stopping counters and
random generators; if it trained from scratch (or from the weights alone) it would end elsewhere.
"""
from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import lightning as L
import pytest
import torch

from strikebench.app import cell
from strikebench.app.sweep import compose_cell
from strikebench.results import store
from strikebench.training.module import RecBoleModule

pytestmark = pytest.mark.slow  # BPR on ML-100K, twice, one run in a killed subprocess

K = 1  # the last epoch (index) checkpointed before the kill
# BPR on ML-100K, 10% on strike: about a second an epoch; patience 2 keeps early stopping armed.
OVERRIDES = ["model=bpr", "strike.participation=0.1", "trainer.max_epochs=4", "trainer.patience=2"]
KILLED_CELL = Path(__file__).parents[1] / "killed_cell.py"


def early_stopping(trainer) -> dict:
    (callback,) = [c for c in trainer.callbacks if isinstance(c, L.pytorch.callbacks.EarlyStopping)]
    return callback.state_dict()


def trained_cell(results: Path, monkeypatch) -> tuple[dict, dict, dict]:
    """Run the cell in this process: (Lightning's state as each epoch this process trained begins
    its training step, by epoch; the final weights; the record). One Lightning step trains a
    whole epoch (module.epoch_loader); Lightning draws its loader's seed from torch's generator
    just before or after on_train_epoch_start depending on whether it restarted, so the state is
    taken as the step begins, after either."""
    at_start, weights = {}, {}
    training_step, fit_company = RecBoleModule.training_step, cell.fit_company

    def seen_as_the_epoch_begins(self, batch, batch_idx):
        shuffle = self.epoch_loader.generator  # the fast loader's own: shuffle order and negatives
        at_start[self.current_epoch] = dict(
            global_step=self.trainer.global_step, optimizer=copy.deepcopy(self.optimizers().optimizer.state_dict()),
            early_stopping=copy.deepcopy(early_stopping(self.trainer)), torch_rng=torch.get_rng_state(),
            loader_rng=shuffle.get_state())
        return training_step(self, batch, batch_idx)

    def keep_weights(*args, **kwargs):
        fit = fit_company(*args, **kwargs)
        weights.update({name: value.detach().clone() for name, value in fit.model.state_dict().items()})
        return fit

    monkeypatch.setattr(RecBoleModule, "training_step", seen_as_the_epoch_begins)
    monkeypatch.setattr(cell, "fit_company", keep_weights)
    outcome = cell.run_cell(compose_cell([*OVERRIDES, f"results_dir={results}"]), log=lambda m: None)
    monkeypatch.undo()
    return at_start, weights, outcome.record


def assert_same_optimizer_state(resumed: dict, uninterrupted: dict):
    assert resumed["param_groups"] == uninterrupted["param_groups"]
    assert resumed["state"].keys() == uninterrupted["state"].keys() and resumed["state"]
    for index, moments in uninterrupted["state"].items():
        for name, value in moments.items():  # step, exp_avg, exp_avg_sq
            assert torch.equal(torch.as_tensor(resumed["state"][index][name]), torch.as_tensor(value)), (index, name)


def test_a_killed_cell_resumes_and_ends_as_if_never_interrupted(tmp_path, monkeypatch):
    whole_epochs, whole_weights, whole = trained_cell(tmp_path / "whole", monkeypatch)
    assert sorted(whole_epochs) == [0, 1, 2, 3]
    whole_state = whole_epochs[K + 1]

    results = tmp_path / "killed"
    killed = subprocess.run([sys.executable, str(KILLED_CELL), str(K + 1), *OVERRIDES, f"results_dir={results}"],
                            capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert killed.returncode == 137, killed.stderr[-3000:]
    (work,) = (results / ".work").iterdir()
    last = torch.load(work / "incumbent" / "checkpoints" / "last.ckpt", weights_only=True)  # no pickle needed
    assert last["epoch"] == K and not store.is_done(results, work.name)

    resumed_epochs, resumed_weights, resumed = trained_cell(results, monkeypatch)
    assert sorted(resumed_epochs) == [K + 1, 3]  # epochs 0..K are not trained again
    resumed_state = resumed_epochs[K + 1]
    # Lightning restored the step counter, the optimiser's moments and early stopping's counters,
    # and the random generators are where the uninterrupted run had them ...
    assert resumed_state["global_step"] == last["global_step"] == whole_state["global_step"] > 0
    assert_same_optimizer_state(resumed_state["optimizer"], whole_state["optimizer"])
    assert resumed_state["early_stopping"] == whole_state["early_stopping"]
    assert resumed_state["early_stopping"]["best_score"] > 0  # a validated epoch, not a fresh callback
    assert torch.equal(resumed_state["torch_rng"], whole_state["torch_rng"])
    assert torch.equal(resumed_state["loader_rng"], whole_state["loader_rng"])
    # ... so it trains the same batches and negatives, and ends with the same weights and metrics.
    assert resumed_weights.keys() == whole_weights.keys()
    for name, value in whole_weights.items():
        assert torch.equal(resumed_weights[name], value), name
    ours, theirs = (r["companies"]["incumbent"] for r in (resumed, whole))
    assert ours["training"]["resumed_from_epoch"] == K and theirs["training"]["resumed_from_epoch"] is None
    assert ours["training"]["data_path"] == theirs["training"]["data_path"] == "fast"  # auto: fast for BPR
    for key in ("epochs", "best_epoch", "best_valid"):
        assert ours["training"][key] == theirs["training"][key], key
    for view in ("holdout", "company"):
        for group, metrics in theirs["metrics"][view].items():
            for metric, value in metrics.items():
                assert ours["metrics"][view][group][metric] == pytest.approx(value, abs=1e-6), (view, group, metric)
    assert not (results / ".work" / work.name).exists()  # checkpoints cleaned up after success
    assert len(list(store.iter_records(results))) == 1
