"""Cache files are checked against their content (issue 12, item 4).

A Pop cell runs on a tiny dataset and fills the preprocessed cache; one file of its entry is then
damaged as the fault campaign did (valid.npy copied over test.npy, repeated indices, an empty
test.npy, a tampered Parquet table, ...). The next load, in a fresh process's state, must notice,
warn in one line, rebuild the entry and give the same split and the same metrics as before.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from strikebench.config.plain import to_plain
from strikebench.data import cache as memo
from strikebench.data.preprocessed import load_with_cache
from strikebench.data.split_cache import PARTS
from strikebench.data.table_codec import CacheInvalid, digest
from tests.conftest import write_atomic

DATASET = ["dataset.name=tiny", "dataset.source=manual", "dataset.instructions=by hand",
           "~dataset.recbole.load_col.user", "~dataset.recbole.load_col.item"]


def tiny_rows() -> list[tuple]:
    """8 users with 10 interactions each over 14 items, at distinct times."""
    rng = np.random.default_rng(3)
    rows = []
    for u in range(1, 9):
        for i in rng.choice(np.arange(1, 15), size=10, replace=False):
            rows.append((f"u{u}", f"i{i}", int(rng.integers(1, 6)), len(rows) + 1))
    return rows


def save_npy(path: Path, array: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    path.write_bytes(buffer.getvalue())


def copy_valid_over_test(split_dir: Path) -> None:
    (split_dir / "test.npy").write_bytes((split_dir / "valid.npy").read_bytes())  # same length


def swap_valid_and_test(split_dir: Path) -> None:
    valid, test = (split_dir / "valid.npy").read_bytes(), (split_dir / "test.npy").read_bytes()
    (split_dir / "valid.npy").write_bytes(test)
    (split_dir / "test.npy").write_bytes(valid)


def repeat_test_indices(split_dir: Path) -> None:
    test = np.load(split_dir / "test.npy")
    test[1::2] = test[0::2][: len(test[1::2])]  # half the indices repeated, the length kept
    save_npy(split_dir / "test.npy", test)


def repeat_with_checksum_rerecorded(split_dir: Path) -> None:
    """Repeated indices whose checksum is recorded anew: only the partition check can see it."""
    repeat_test_indices(split_dir)
    meta = json.loads((split_dir / "meta.json").read_text())
    meta["digests"]["test.npy"] = digest((split_dir / "test.npy").read_bytes())
    (split_dir / "meta.json").write_text(json.dumps(meta))


def empty_test(split_dir: Path) -> None:
    (split_dir / "test.npy").write_bytes(b"")


def tamper_ratings(entry: Path) -> None:
    """feat-0.parquet (the inter table) rewritten whole and readable, every rating set to 5."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(entry / "feat-0.parquet")
    column = table.column_names.index("rating")
    pq.write_table(table.set_column(column, "rating", pa.array(np.full(len(table), 5.0))), entry / "feat-0.parquet")


def drop_a_table(entry: Path) -> None:
    (entry / "feat-0.parquet").unlink()


# fault -> (damage, applied to the split folder or the data entry; what the warning names)
SPLIT_FAULTS = {
    "valid.npy copied over test.npy": (copy_valid_over_test, "test.npy does not match the checksum"),
    "valid.npy and test.npy swapped": (swap_valid_and_test, "valid.npy does not match the checksum"),
    "test.npy with repeated indices": (repeat_test_indices, "test.npy does not match the checksum"),
    "repeated indices, checksum recorded anew": (repeat_with_checksum_rerecorded,
                                                 "test.npy is not sorted, unique row indices"),
    "test.npy empty": (empty_test, "test.npy does not match the checksum"),
}
DATA_FAULTS = {
    "a tampered Parquet table": (tamper_ratings, "feat-0.parquet does not match the checksum"),
    "a Parquet table gone": (drop_a_table, "cannot read feat-0.parquet"),
}


@pytest.fixture
def cell(tmp_path, monkeypatch):
    """run(): the Pop cell on the tiny dataset (rerun with force), each time in a fresh process's
    state (no in-process memo), returning its record."""
    from strikebench.app.cell import run_cell
    from strikebench.app.sweep import compose_cell

    write_atomic(tmp_path / "data", "tiny", tiny_rows())
    cfg = compose_cell(["model=pop", "trainer=tiny", "strike.participation=0.5", *DATASET,
                        f"data_root={tmp_path / 'data'}", f"results_dir={tmp_path / 'results'}", "force=true"])

    def run() -> dict:
        for table in ("_DATA", "_ENTRIES", "_SPLITS"):
            monkeypatch.setattr(memo, table, {})
        return run_cell(cfg, log=lambda m: None).record

    run.load = lambda: load_with_cache("tiny", tmp_path / "data" / "tiny", to_plain(cfg.dataset.recbole), cfg.split,
                                       tmp_path / "data" / ".cache")  # as the cell loads it
    run.cache = tmp_path / "data" / ".cache"
    return run


def holdout_ndcg(record: dict) -> tuple:
    metrics = record["companies"]["incumbent"]["metrics"]["holdout"]
    return tuple(metrics[group]["ndcg@10"] for group in ("all", "participants", "non_participants"))


@pytest.mark.parametrize("fault", list(SPLIT_FAULTS) + list(DATA_FAULTS))
def test_a_damaged_cache_file_is_rebuilt_with_a_warning_and_the_same_results(cell, caplog, fault):
    clean = cell()
    (entry,) = [p for p in cell.cache.iterdir() if p.is_dir()]  # beside content_checksums.json
    (split_dir,) = (entry / "splits").iterdir()
    _, split, info = cell.load()
    assert info["hit"] and Path(info["split_entry"]) == split_dir  # the cell's own split entry

    damage, named = SPLIT_FAULTS.get(fault) or DATA_FAULTS[fault]
    damage(split_dir if fault in SPLIT_FAULTS else entry)
    caplog.clear()
    again = cell()
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and named in warnings[0] and "\n" not in warnings[0], warnings
    assert holdout_ndcg(again) == holdout_ndcg(clean)
    assert again["dataset"]["split"] == clean["dataset"]["split"]

    _, reloaded, info = cell.load()  # the rebuilt entry is whole: a hit, the same rows
    assert info["hit"]
    for part in PARTS:
        assert np.array_equal(getattr(reloaded, part), getattr(split, part)), part
    assert [p.name for p in cell.cache.iterdir() if p.is_dir()] == [entry.name]  # nothing left aside


def test_the_partition_check_names_what_is_wrong():
    from strikebench.data.split_cache import check_partition

    check_partition({"train": np.array([0, 2]), "valid": np.array([3]), "test": np.array([1])}, 4)  # a partition
    for parts, problem in [
        ({"train": [0, 2], "valid": [2], "test": [1, 3]}, "valid.npy shares rows with another part"),
        ({"train": [2, 0], "valid": [3], "test": [1]}, "train.npy is not sorted"),
        ({"train": [0, 0, 2], "valid": [3], "test": [1]}, "train.npy is not sorted, unique"),
        ({"train": [0, 2], "valid": [3], "test": [4]}, "test.npy is not sorted, unique row indices below 4"),
        ({"train": [0, 2], "valid": [], "test": [1]}, "leaves 1 of 4 rows out"),
    ]:
        with pytest.raises(CacheInvalid, match=problem):
            check_partition({part: np.array(rows, dtype=np.int64) for part, rows in parts.items()}, 4)
