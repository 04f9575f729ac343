"""A cell interrupted mid-training resumes from its last checkpoint when it is run again."""
from __future__ import annotations

import pytest
import torch

from strikebench.app.cell import run_cell
from strikebench.results import store
from strikebench.training.module import RecBoleModule


class Preempted(Exception):
    pass


def test_interrupted_cell_resumes_from_its_checkpoint(compose_cfg, tmp_path, monkeypatch):
    overrides = ["model=bpr", "strike.participation=0.1", "trainer.max_epochs=4", "trainer.patience=10"]
    cfg = compose_cfg(overrides)

    def preempt_after_epoch_two(self):
        if self.current_epoch == 1:  # the checkpoint of epoch index 1 is already saved
            raise Preempted

    monkeypatch.setattr(RecBoleModule, "on_train_epoch_end", preempt_after_epoch_two, raising=False)
    with pytest.raises(Preempted):
        run_cell(cfg)
    (work,) = (tmp_path / "results" / ".work").iterdir()
    last = work / "incumbent" / "checkpoints" / "last.ckpt"
    saved_epoch = torch.load(last, weights_only=True)["epoch"]  # loads without pickle
    assert saved_epoch in (0, 1)
    assert not store.is_done(cfg.results_dir, work.name)

    monkeypatch.undo()
    outcome = run_cell(compose_cfg(overrides))
    training = outcome.record["companies"]["incumbent"]["training"]
    assert training["resumed_from_epoch"] == saved_epoch
    assert training["epochs"] == 4
    assert training["data_path"] == "fast"  # the record says which loader trained it (auto: fast for BPR)
    assert not (tmp_path / "results" / ".work" / work.name).exists()  # cleaned up after success
    assert len(list(store.iter_records(cfg.results_dir))) == 1
