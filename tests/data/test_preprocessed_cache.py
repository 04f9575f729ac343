"""The preprocessed cache: a hit loads exactly what a cold RecBole read gives, keys change with
what decides the data, concurrent builders leave one valid entry, and nothing is pickled."""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.conftest import TINY_SETTINGS, write_atomic
from strikebench.data.interactions import load_interactions
from strikebench.data.cache_keys import split_key
from strikebench.data.preprocessed import load_with_cache

SPLIT = {"seed": 2020, "order": "RO", "mode": "RS", "ratios": [0.8, 0.1, 0.1]}
ITEM_SETTINGS = {**TINY_SETTINGS, "load_col": {"inter": ["user_id", "item_id", "rating", "timestamp"],
                                               "item": ["item_id", "year", "class"]}}


def _tiny_folder(root: Path, name: str = "tiny", items: bool = True) -> Path:
    """8 users with 3 to 10 interactions over items i1..i12; an item file with a missing year,
    an item without a class and a float year, so NaN and empty sequences go through the cache."""
    rng = np.random.default_rng(1)
    rows, t = [], 0
    for u in range(1, 9):
        for i in rng.choice(np.arange(1, 13), size=int(rng.integers(3, 11)), replace=False):
            t += 1
            rows.append((f"u{u}", f"i{i}", int(rng.integers(1, 6)), t))
    folder = write_atomic(root, name, rows)
    if items:
        lines = ["item_id:token\tyear:token\tclass:token_seq"]
        for i in range(1, 14):  # i13 has no interaction
            year = "" if i == 3 else str(1990 + i)
            cls = "" if i == 5 else " ".join(f"g{(i * k) % 4}" for k in range(1, 1 + i % 3 + 1))
            lines.append(f"i{i}\t{year}\t{cls}")
        (folder / f"{name}.item").write_text("\n".join(lines) + "\n")
    return folder


def _same_column(a, b) -> bool:
    if a.dtype == object:
        return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))
    return np.array_equal(a, b, equal_nan=True)


def assert_same_data(a, b) -> None:
    """Arrays, tokens, feature tables and RecBole's own id maps and tensors are identical."""
    for attr in ("user", "item", "rating", "timestamp", "user_tokens", "item_tokens"):
        x, y = getattr(a, attr), getattr(b, attr)
        assert (x is None) == (y is None), attr
        if x is not None:
            assert x.dtype == y.dtype and np.array_equal(x, y), attr
    for attr in ("user_features", "item_features"):
        x, y = getattr(a, attr), getattr(b, attr)
        assert (x is None) == (y is None), attr
        if x is not None:
            assert list(x.columns) == list(y.columns) and np.array_equal(x.index, y.index), attr
            for col in x.columns:
                assert _same_column(x[col].to_numpy(), y[col].to_numpy()), (attr, col)
    da, db = a.recbole_dataset, b.recbole_dataset
    assert type(da) is type(db)
    for attr in ("field2type", "field2source", "field2seqlen", "field2bucketnum", "alias"):
        x, y = getattr(da, attr), getattr(db, attr)
        assert {k: list(v) if isinstance(v, np.ndarray) else v for k, v in x.items()} == \
               {k: list(v) if isinstance(v, np.ndarray) else v for k, v in y.items()}, attr
    assert da.field2id_token.keys() == db.field2id_token.keys()
    for field in da.field2id_token:
        assert list(da.field2id_token[field]) == list(db.field2id_token[field]), field
        assert da.field2token_id[field] == db.field2token_id[field], field
    for feat in ("inter_feat", "user_feat", "item_feat"):
        x, y = getattr(da, feat), getattr(db, feat)
        assert (x is None) == (y is None), feat
        if x is not None:
            assert x.columns == y.columns, feat
            for col in x.columns:
                assert x[col].dtype == y[col].dtype and torch.equal(x[col], y[col]), (feat, col)


def assert_same_split(a, b) -> None:
    for part in ("train", "valid", "test"):
        assert np.array_equal(getattr(a, part), getattr(b, part)), part


@pytest.mark.slow
def test_hit_after_miss_is_a_cold_load_on_ml100k(tmp_path):
    from strikebench.data.split import make_split
    from strikebench.datasets.registry import bundled_dir, load_config

    cfg = load_config("ml-100k")
    folder = bundled_dir("ml-100k")
    cold = load_interactions("ml-100k", folder, cfg["recbole"])
    built, split_built, info = load_with_cache("ml-100k", folder, cfg["recbole"], SPLIT, tmp_path)
    assert (info["data"], info["split"], info["hit"]) == ("miss", "miss", False)
    hit, split_hit, info_hit = load_with_cache("ml-100k", folder, cfg["recbole"], SPLIT, tmp_path)
    assert (info_hit["data"], info_hit["split"], info_hit["hit"]) == ("hit", "hit", True)
    assert info_hit["key"] == info["key"]
    assert_same_data(cold, built)
    assert_same_data(cold, hit)
    assert hit.item_features is not None and hit.user_features is not None
    expected = make_split(cold.user, cold.timestamp, SPLIT)
    assert_same_split(expected, split_built)
    assert_same_split(expected, split_hit)


def test_nan_tokens_empty_sequences_and_row_order_survive_the_cache(tmp_path):
    folder = _tiny_folder(tmp_path / "data")
    cold = load_interactions("tiny", folder, ITEM_SETTINGS)
    load_with_cache("tiny", folder, ITEM_SETTINGS, SPLIT, tmp_path / "cache")
    hit, _, info = load_with_cache("tiny", folder, ITEM_SETTINGS, SPLIT, tmp_path / "cache")
    assert info["hit"]
    assert_same_data(cold, hit)
    years = hit.item_features["year"]
    assert "[PAD]" in set(years)  # the missing year, filled by RecBole as on a cold load


def test_filtering_and_split_seed_change_the_key(tmp_path):
    folder = _tiny_folder(tmp_path / "data")
    cache = tmp_path / "cache"
    _, _, base = load_with_cache("tiny", folder, ITEM_SETTINGS, SPLIT, cache)

    filtered = {**ITEM_SETTINGS, "user_inter_num_interval": "[5,inf)"}
    data_f, _, info_f = load_with_cache("tiny", folder, filtered, SPLIT, cache)
    assert info_f["data"] == "miss" and info_f["entry"] != base["entry"]
    assert data_f.n_users < base_users(folder)
    assert_same_data(load_interactions("tiny", folder, filtered), data_f)

    reseeded = {**SPLIT, "seed": 7}
    _, split_r, info_r = load_with_cache("tiny", folder, ITEM_SETTINGS, reseeded, cache)
    assert info_r["data"] == "hit" and info_r["split"] == "miss"  # same tables, new split
    assert info_r["key"] != base["key"] and info_r["entry"] == base["entry"]
    assert split_key(reseeded) != split_key(SPLIT)
    _, split_again, info_again = load_with_cache("tiny", folder, ITEM_SETTINGS, SPLIT, cache)
    assert info_again["hit"] and not np.array_equal(split_again.test, split_r.test)
    time_ordered = {**SPLIT, "order": "TO"}
    assert load_with_cache("tiny", folder, ITEM_SETTINGS, time_ordered, cache)[2]["split"] == "miss"


def base_users(folder: Path) -> int:
    return len(load_interactions("tiny", folder, ITEM_SETTINGS).user_tokens)


def _touch(path: Path) -> None:
    """A later mtime, same content (as `touch` a second later)."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def test_a_touched_or_changed_atomic_file_invalidates(tmp_path):
    folder = _tiny_folder(tmp_path / "data")
    cache = tmp_path / "cache"
    _, _, first = load_with_cache("tiny", folder, ITEM_SETTINGS, SPLIT, cache)
    inter = folder / "tiny.inter"
    _touch(inter)
    _, _, touched = load_with_cache("tiny", folder, ITEM_SETTINGS, SPLIT, cache)
    assert touched["data"] == "miss" and touched["key"] != first["key"]

    with open(inter, "a") as fh:
        fh.write("u1\ti13\t5\t999\n")  # a new interaction with the item no one had
    data, _, changed = load_with_cache("tiny", folder, ITEM_SETTINGS, SPLIT, cache)
    assert changed["data"] == "miss" and len(data) == len(load_interactions("tiny", folder, ITEM_SETTINGS))

    _touch(folder / "tiny.item")  # any file RecBole may read counts
    assert load_with_cache("tiny", folder, ITEM_SETTINGS, SPLIT, cache)[2]["data"] == "miss"


def test_an_unusable_entry_is_rebuilt_and_a_foreign_split_is_remade(tmp_path):
    folder = _tiny_folder(tmp_path / "data")
    cache = tmp_path / "cache"
    cold_data, cold_split, info = load_with_cache("tiny", folder, ITEM_SETTINGS, SPLIT, cache)
    entry = Path(info["entry"])

    meta = json.loads((entry / "meta.json").read_text())
    (entry / "meta.json").write_text(json.dumps({**meta, "checksum": "0" * 32}))
    data, split, rebuilt = load_with_cache("tiny", folder, ITEM_SETTINGS, SPLIT, cache)
    assert rebuilt["data"] == "rebuilt" and "other rows" in rebuilt["invalid"]
    assert_same_data(cold_data, data)
    assert load_with_cache("tiny", folder, ITEM_SETTINGS, SPLIT, cache)[2]["hit"]

    (entry / "feat-0.parquet").write_bytes(b"PAR1 truncated")
    data, _, broken = load_with_cache("tiny", folder, ITEM_SETTINGS, SPLIT, cache)
    assert broken["data"] == "rebuilt" and "feat-0.parquet" in broken["invalid"]
    assert_same_data(cold_data, data)

    split_dir = Path(load_with_cache("tiny", folder, ITEM_SETTINGS, SPLIT, cache)[2]["split_entry"])
    split_meta = json.loads((split_dir / "meta.json").read_text())
    (split_dir / "meta.json").write_text(json.dumps({**split_meta, "data_checksum": "f" * 32}))
    _, split, remade = load_with_cache("tiny", folder, ITEM_SETTINGS, SPLIT, cache)
    assert remade["data"] == "hit" and remade["split"] == "rebuilt"
    assert_same_split(cold_split, split)
    assert [p.name for p in cache.iterdir()] == [entry.name]  # nothing left aside


def _build(args):
    folder, cache, barrier = args if len(args) == 3 else (*args, None)
    from strikebench import compat

    compat.apply()
    if barrier is not None:
        barrier.wait()
    data, split, info = load_with_cache("tiny", folder, ITEM_SETTINGS, SPLIT, cache)
    from strikebench.data.cache_keys import data_checksum

    return info["data"], info.get("published"), data_checksum(data), split.test.tolist()


@pytest.mark.slow
def test_concurrent_builders_leave_one_valid_entry(tmp_path):
    folder = _tiny_folder(tmp_path / "data")
    cache = tmp_path / "cache"
    ctx = mp.get_context("spawn")
    barrier = ctx.Manager().Barrier(3)
    with ctx.Pool(3) as pool:
        results = pool.map(_build, [(str(folder), str(cache), barrier)] * 3, chunksize=1)
    assert len({r[2] for r in results}) == 1 and len({tuple(r[3]) for r in results}) == 1
    assert sum(1 for r in results if r[1]) == 1  # exactly one builder's copy was published
    assert all(r[0] in ("miss", "hit") for r in results)
    (entry,) = cache.iterdir()  # one entry, no temporary directory left
    assert not entry.name.startswith(".")
    (split_dir,) = (entry / "splits").iterdir()
    assert not split_dir.name.startswith(".")
    _, split, info = load_with_cache("tiny", folder, ITEM_SETTINGS, SPLIT, cache)
    assert info["hit"] and split.test.tolist() == results[0][3]
    assert info["split_entry"] == str(split_dir)


def test_nothing_is_pickled(tmp_path, monkeypatch):
    folder = _tiny_folder(tmp_path / "data")
    cache = tmp_path / "cache"

    def refuse(*args, **kwargs):
        raise AssertionError("pickle used")

    for name in ("dump", "dumps", "load", "loads"):
        monkeypatch.setattr(pickle, name, refuse)
    load_with_cache("tiny", folder, ITEM_SETTINGS, SPLIT, cache)
    assert load_with_cache("tiny", folder, ITEM_SETTINGS, SPLIT, cache)[2]["hit"]
    monkeypatch.undo()

    files = [p for p in cache.rglob("*") if p.is_file()]
    suffixes = {p.suffix for p in files}
    assert suffixes <= {".parquet", ".json", ".npy"}, suffixes
    npys = [p for p in files if p.suffix == ".npy"]
    assert len(npys) == 3
    for path in npys:
        assert np.load(path, allow_pickle=False).dtype == np.int64
    import pyarrow.parquet as pq

    for path in (p for p in files if p.suffix == ".parquet"):
        pq.read_table(path)
    for path in (p for p in files if p.suffix == ".json"):
        json.loads(path.read_text())


def test_bad_split_config_stops_before_reading(tmp_path):
    from strikebench.errors import ConfigError

    folder = _tiny_folder(tmp_path / "data")
    with pytest.raises(ConfigError, match="split.order"):
        load_with_cache("tiny", folder, ITEM_SETTINGS, {**SPLIT, "order": "XX"}, tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_an_unwritable_cache_root_loads_uncached(tmp_path):
    folder = _tiny_folder(tmp_path / "data")
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the cache root should be")
    data, split, info = load_with_cache("tiny", folder, ITEM_SETTINGS, SPLIT, blocked / "cache")
    assert (info["data"], info["split"], info["hit"]) == ("uncached", "uncached", False)
    assert_same_data(load_interactions("tiny", folder, ITEM_SETTINGS), data)


def test_a_missing_dataset_file_is_a_data_error_and_leaves_nothing(tmp_path):
    from strikebench.errors import DataError

    folder = _tiny_folder(tmp_path / "data")
    (folder / "tiny.item").unlink()
    with pytest.raises(DataError, match="tiny.item"):
        load_with_cache("tiny", folder, ITEM_SETTINGS, SPLIT, tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []


def test_a_sequential_model_gets_recboles_sequential_dataset_from_the_cache(tmp_path):
    folder = _tiny_folder(tmp_path / "data")
    settings = {**ITEM_SETTINGS, "train_neg_sample_args": None}
    cold = load_interactions("tiny", folder, settings, "GRU4Rec")
    load_with_cache("tiny", folder, settings, SPLIT, tmp_path / "cache", model="GRU4Rec")
    hit, _, info = load_with_cache("tiny", folder, settings, SPLIT, tmp_path / "cache", model="GRU4Rec")
    assert info["hit"] and type(hit.recbole_dataset).__name__ == "SequentialDataset"
    assert_same_data(cold, hit)  # augmented item lists included
    pop = load_with_cache("tiny", folder, settings, SPLIT, tmp_path / "cache")[2]
    assert pop["data"] == "miss"  # the model is part of the key
