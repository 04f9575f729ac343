"""The study fingerprint (docs/design.md rule 5): every record names its dataset content, filtering,
split and evaluation protocol; the content checksum is part of the cell key."""
from __future__ import annotations

import hashlib
import json
import os
import shutil

import pytest

from strikebench.data import content_checksum
from strikebench.results import store
from strikebench.results.record import CellRecord
from strikebench.results.study import BEFORE_STUDIES, describe_study
from strikebench.results.table import records_to_table
from tests.evaluation.test_history_mask import ROWS, dataset_overrides, hand_dataset


def run(compose_cfg, tmp_path, results, *overrides, data_root=None):
    """Pop on the hand-built dataset (written by the test) under ``data_root`` (default tmp_path / data)."""
    from strikebench.app.cell import run_cell

    cfg = compose_cfg(["model=pop", "trainer=tiny", "split=sequential", "eval.ks=[3]",
                       *dataset_overrides(data_root or tmp_path / "data"), *overrides], results_dir=results)
    return run_cell(cfg, log=lambda m: None)


def test_changed_data_under_the_same_name_is_not_already_done(compose_cfg, tmp_path):
    results = tmp_path / "results"
    hand_dataset(tmp_path)
    first = run(compose_cfg, tmp_path, results)
    assert first.ran and first.record["study"]["id"].startswith("handmask-")
    again = run(compose_cfg, tmp_path, results)
    assert not again.ran and again.key == first.key  # same files: reused
    # One rating changed in the same file: another cell key and another study; it runs.
    hand_dataset(tmp_path, [("u1", "i1", 4, 1), *ROWS[1:]])
    changed = run(compose_cfg, tmp_path, results)
    assert changed.ran and changed.key != first.key
    assert changed.record["study"]["id"] != first.record["study"]["id"]
    checksums = {r["study"]["dataset"]["checksum"] for r in store.iter_records(results)}
    assert len(checksums) == 2 and all(c.startswith("sha256:") for c in checksums)


def test_the_same_files_elsewhere_give_the_same_key_and_study(compose_cfg, tmp_path):
    results = tmp_path / "results"
    hand_dataset(tmp_path)
    here = run(compose_cfg, tmp_path, results)
    elsewhere = tmp_path / "copy"
    shutil.copytree(tmp_path / "data", elsewhere / "data")  # a reviewer's copy: other paths, other mtimes
    os.utime(elsewhere / "data" / "handmask" / "handmask.inter", ns=(1, 1))
    there = run(compose_cfg, tmp_path, tmp_path / "other_results", data_root=elsewhere / "data")
    assert there.key == here.key and there.record["study"] == here.record["study"]


def test_plan_and_run_compute_the_same_key(compose_cfg, tmp_path):
    from strikebench.app.plan import plan_cells

    results = tmp_path / "results"
    overrides = hand_dataset(tmp_path)
    outcome = run(compose_cfg, tmp_path, results)
    (cell,) = plan_cells(["model=pop", "trainer=tiny", "split=sequential", "eval.ks=[3]", *overrides,
                          f"results_dir={results}"])
    assert cell["key"] == outcome.key and cell["done"]


def test_the_checksum_hashes_the_bytes_once_and_remembers_them(tmp_path, monkeypatch):
    hand_dataset(tmp_path)
    folder = tmp_path / "data" / "handmask"
    dataset = {"name": "handmask", "source": "manual", "url": None, "sha256": None, "archive": None,
               "instructions": "by hand", "has_ratings": True, "synthetic": None,
               "recbole": {"load_col": {"inter": ["user_id", "item_id", "rating", "timestamp"]}}}
    os.utime(folder / "handmask.inter", ns=(10**18, 10**18))  # older than RACY_NS: remembered
    inter = (folder / "handmask.inter").read_bytes()
    file_digest = hashlib.sha256(inter).hexdigest()
    expected = "sha256:" + hashlib.sha256(json.dumps([["inter", file_digest]], separators=(",", ":")).encode()).hexdigest()
    monkeypatch.setattr(content_checksum, "_MEMORY", {})
    assert content_checksum.dataset_checksum(dataset, tmp_path / "data") == expected
    memo_path = tmp_path / "data" / ".cache" / content_checksum.MEMO
    memo = json.loads(memo_path.read_text())
    entry = memo[str((folder / "handmask.inter").resolve())]
    assert entry["sha256"] == file_digest and entry["size"] == len(inter)
    # While path, size and mtime match, the remembered digest is used, by any process.
    entry["sha256"] = "0" * 64
    memo_path.write_text(json.dumps(memo))
    monkeypatch.setattr(content_checksum, "_MEMORY", {})
    assert content_checksum.dataset_checksum(dataset, tmp_path / "data") != expected
    os.utime(folder / "handmask.inter", ns=(2 * 10**18, 2 * 10**18))  # touched: hashed again
    assert content_checksum.dataset_checksum(dataset, tmp_path / "data") == expected


def test_the_study_describes_dataset_split_and_protocol(compose_cfg, tmp_path):
    hand_dataset(tmp_path)
    base = run(compose_cfg, tmp_path, tmp_path / "r").record
    study = base["study"]
    assert study["dataset"]["name"] == "handmask" and study["dataset"]["recbole"]["load_col"] == {
        "inter": ["user_id", "item_id", "rating", "timestamp"]}
    assert study["split"] == {"seed": 2020, "order": "TO", "mode": "LS", "ratios": [0.8, 0.1, 0.1]}
    assert study["evaluation"] == {"mask": "user", "ks": [3], "metrics": ["ndcg", "recall", "hit", "mrr", "precision"],
                                   "ranking": "full", "sampled_negatives": None}
    config = base["config"]
    assert describe_study(config) == study
    for changed in ({**config, "split": {**config["split"], "seed": 1}}, {**config, "eval": {**config["eval"], "ks": [1]}},
                    {**config, "eval": {**config["eval"], "sampled_negatives": 99}}):
        assert describe_study(changed)["id"] != study["id"]
    # the model, the lever and the seed are not part of the study
    assert describe_study({**config, "model": {"name": "BPR"}, "seed": 4})["id"] == study["id"]


def test_the_table_has_study_mask_and_realised_participation(compose_cfg, tmp_path):
    # p = 0.0001 of 4 users rounds to one participant: a realised participation of 1/4.
    hand_dataset(tmp_path)
    record = run(compose_cfg, tmp_path, tmp_path / "r", "strike.participation=0.0001").record
    assert record["participants"]["count"] == 1 and record["participants"]["realised_participation"] == 0.25
    table = records_to_table([record])
    assert set(table["study"]) == {record["study"]["id"]}
    assert set(table["participation"]) == {0.0001} and set(table["realised_participation"]) == {0.25}
    assert set(table["mask"]) == {"user"}


def test_an_old_record_gets_a_study_from_its_config_with_a_note(compose_cfg, tmp_path):
    hand_dataset(tmp_path)
    record = run(compose_cfg, tmp_path, tmp_path / "r").record
    old = {k: v for k, v in record.items() if k != "study"}
    old["config"] = {k: v for k, v in old["config"].items() if k != "dataset_checksum"}
    old["config"]["eval"] = {k: v for k, v in old["config"]["eval"].items() if k != "mask"}
    old["participants"] = {k: v for k, v in old["participants"].items() if k != "realised_participation"}
    typed = CellRecord.from_json(old)
    assert typed.study["note"] == BEFORE_STUDIES
    assert typed.study["dataset"]["checksum"] is None and typed.study["evaluation"]["mask"] == "company"
    assert typed.study["id"].startswith("handmask-") and typed.study["id"] != record["study"]["id"]
    row = records_to_table([old]).iloc[0]
    assert (row["study"], row["mask"], row["realised_participation"]) == (typed.study["id"], "company", 0.0)


def test_absent_data_stops_the_key_with_how_to_get_it(compose_cfg, tmp_path):
    from strikebench.app.cell import resolved_config
    from strikebench.datasets.registry import DatasetNotAvailable

    cfg = compose_cfg(["dataset.name=nowhere", "dataset.source=manual", "dataset.instructions=by hand",
                       f"data_root={tmp_path / 'data'}"])
    with pytest.raises(DatasetNotAvailable, match="nowhere.*by hand"):
        resolved_config(cfg)
