"""Participation levels that round to the same participants train once (app/same_draw.py).

ML-100K has 943 users: p = 0.0001, 0.0005 and 0.001 give round(p·943) = 0, 0, 1 participants, and
every p > 0 has at least one, so all three strike the same single user (the first of the seed's
permutation); p = 0.003 gives round(2.83) = 3.
"""
from __future__ import annotations

import pytest

from strikebench.app import cell as cell_module
from strikebench.app.cell import run_cell
from strikebench.app.sweep import compose_cell
from strikebench.results import store


def pop_cell(results, p):
    return compose_cell(["model=pop", f"strike.participation={p}", f"results_dir={results}"])


@pytest.mark.slow
def test_levels_that_draw_the_same_participants_train_once(tmp_path, monkeypatch):
    results = tmp_path / "results"
    first = run_cell(pop_cell(results, 0.0001), log=lambda m: None)
    assert first.record["participants"]["count"] == 1

    def no_training(*args, **kwargs):
        raise AssertionError("a cell with the same participants and data trained again")

    monkeypatch.setattr(cell_module, "train", no_training)
    for p in (0.0005, 0.001):
        copy = run_cell(pop_cell(results, p), log=lambda m: None)
        assert copy.key != first.key  # a cell of its own, with its own config
        assert copy.record["same_draw_as"] == first.key
        assert copy.record["config"]["strike"]["participation"] == p
        assert copy.record["participants"]["participation"] == p
        assert copy.record["participants"]["users"] == first.record["participants"]["users"]
        assert copy.record["participants"]["realised_participation"] == pytest.approx(1 / 943)
        assert copy.record["companies"] == first.record["companies"]
        assert store.read_per_user(copy.path).equals(store.read_per_user(first.path))

    monkeypatch.undo()
    three = run_cell(pop_cell(results, 0.003), log=lambda m: None)  # 3 participants: trained
    assert three.record["participants"]["count"] == 3
    assert "same_draw_as" not in three.record
    assert len(list(store.iter_records(results))) == 4
