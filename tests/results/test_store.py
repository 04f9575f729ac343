"""The results store: atomic records, exactly once, never overwritten silently."""
from __future__ import annotations

import json
import multiprocessing as mp

import pandas as pd

from strikebench.results import store
from strikebench.results.keys import cell_key


def _record(key, value=1.0):
    """The smallest record the readers accept (strikebench.results.corrupt), with an extra ``value``."""
    group = {"ndcg@10": 0.5, "n_users": 2}
    company = {"train_interactions": 4, "valid_interactions": 2, "users_with_training_data": 2, "training": None,
               "metrics": {"holdout": {"all": group}}}
    return {"cell_key": key, "config": {"model": {"name": "Pop"}, "seed": 0, "strike": {
                "participation": 0.0, "lever": {"name": "strike"}, "selector": {"name": "random"}}},
            "dataset": {"name": "tiny"}, "participants": {"users": []}, "timings": {"total": 1.0},
            "companies": {"incumbent": company}, "value": value}


def _table():
    return pd.DataFrame({"user": ["1", "2"], "ndcg@10": [0.5, 0.25]})


def test_write_and_read_back(tmp_path):
    path, stored = store.write_cell(tmp_path, "abc", _record("abc"), _table())
    assert stored and path == tmp_path / "cells" / "abc"
    assert store.read_record(path) == _record("abc")
    assert store.read_per_user(path)["ndcg@10"].tolist() == [0.5, 0.25]
    assert [p.name for p in (tmp_path / "cells").iterdir()] == ["abc"]  # no temporary folder left


def test_second_write_of_a_cell_is_discarded_not_overwritten(tmp_path):
    store.write_cell(tmp_path, "abc", _record("abc", 1.0), _table())
    _, stored = store.write_cell(tmp_path, "abc", _record("abc", 2.0), _table())
    assert not stored
    assert store.read_record(tmp_path / "cells" / "abc")["value"] == 1.0


def test_force_keeps_the_earlier_record_as_a_previous_version(tmp_path):
    store.write_cell(tmp_path, "abc", _record("abc", 1.0), _table())
    _, stored = store.write_cell(tmp_path, "abc", _record("abc", 2.0), _table(), force=True)
    assert stored and store.read_record(tmp_path / "cells" / "abc")["value"] == 2.0
    (previous,) = (tmp_path / "previous").iterdir()
    assert previous.name.startswith("abc-") and store.read_record(previous)["value"] == 1.0


def _writer(args):
    results_dir, key, value = args
    return store.write_cell(results_dir, key, _record(key, value), _table())[1]


def test_concurrent_writers_store_each_cell_exactly_once(tmp_path):
    jobs = [(str(tmp_path), f"cell{i % 5}", i) for i in range(20)]  # 4 writers per cell
    with mp.get_context("spawn").Pool(4) as pool:
        stored = pool.map(_writer, jobs)
    assert sum(stored) == 5
    records = list(store.iter_records(tmp_path))
    assert sorted(r["cell_key"] for r in records) == [f"cell{i}" for i in range(5)]
    assert sorted(p.name for p in (tmp_path / "cells").iterdir()) == [f"cell{i}" for i in range(5)]


def test_cell_key_ignores_paths_device_logger_and_resume():
    base = {"model": {"name": "BPR"}, "seed": 0, "trainer": {"max_epochs": 3, "accelerator": "cpu"},
            "results_dir": "a", "logger": {"name": "local"}, "resume": True, "force": False}
    moved = json.loads(json.dumps(base))
    moved.update(results_dir="b", logger={"name": "wandb"}, resume=False, force=True)
    moved["trainer"]["accelerator"] = "gpu"
    assert cell_key(base) == cell_key(moved)
    changed = json.loads(json.dumps(base))
    changed["trainer"]["max_epochs"] = 4
    assert cell_key(base) != cell_key(changed)
