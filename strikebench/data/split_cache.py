"""The split half of the preprocessed cache: each fixed split made once per data entry.

``<data entry>/splits/<split key>/{train,valid,test}.npy`` + ``meta.json``: the split's row
indices (read with ``allow_pickle=False``), used only when made for the same rows (the data
checksum) and complete. Published atomically, as the data entries are.
"""
from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

import numpy as np

from strikebench.config.plain import to_plain
from strikebench.data.cache_keys import SPLIT_VERSION, split_key
from strikebench.data.data_cache import CacheEntry
from strikebench.data.interactions import InteractionData
from strikebench.data.split import FixedSplit, make_split, validate_split_config
from strikebench.data.table_codec import CacheInvalid, read_json, write_json
from strikebench.results.atomic import new_temporary_dir, publish_directory

PARTS = ("train", "valid", "test")

log = logging.getLogger(__name__)


def load_split_cached(entry: CacheEntry | None, data: InteractionData, split_cfg) -> tuple[FixedSplit, dict]:
    """The fixed split of ``data`` for ``split_cfg``, from ``entry``'s store or made and stored.

    A stored split is used only if it was made for the same rows (checksum) and is complete.
    With ``entry`` None it is just ``make_split``.
    """
    validate_split_config(split_cfg)
    tick = time.perf_counter()
    if entry is None:
        split = make_split(data.user, data.timestamp, split_cfg)
        return split, {"split": "uncached", "split_seconds": time.perf_counter() - tick}
    skey = split_key(split_cfg)
    final = entry.path / "splits" / skey
    info = {"split_key": skey, "split_entry": str(final)}
    if (final / "meta.json").is_file():
        try:
            split = _read_split(final, entry.checksum, len(data))
            info.update(split="hit", split_seconds=time.perf_counter() - tick)
            return split, info
        except CacheInvalid as exc:
            log.warning("stored split %s is unusable (%s): making it again", final, exc)
            info["split_invalid"] = str(exc)
    split = make_split(data.user, data.timestamp, split_cfg)
    info.update(split="miss")
    try:
        _store_split(final, split, split_cfg, entry.checksum, len(data), info)
    except OSError as exc:
        log.warning("cannot store the split under %s (%s): it is used unstored", final, exc)
        info["not_stored"] = str(exc)
    info["split_seconds"] = time.perf_counter() - tick
    return split, info


def _store_split(final: Path, split: FixedSplit, split_cfg, checksum: str, rows: int, info: dict) -> None:
    tmp = new_temporary_dir(final)
    try:
        for part in PARTS:
            np.save(tmp / f"{part}.npy", np.asarray(getattr(split, part), dtype=np.int64), allow_pickle=False)
        write_json(tmp / "meta.json", {"split_version": SPLIT_VERSION, "split": to_plain(split_cfg),
                                       "data_checksum": checksum, "rows": rows,
                                       "sizes": {p: int(len(getattr(split, p))) for p in PARTS}})
        info["split_published"] = publish_directory(tmp, final, replace="split_invalid" in info)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _read_split(final: Path, checksum: str, rows: int) -> FixedSplit:
    meta = read_json(final / "meta.json")
    if meta.get("split_version") != SPLIT_VERSION or meta.get("data_checksum") != checksum:
        raise CacheInvalid("made for other data or by another split version")
    parts = {}
    for part in PARTS:
        try:
            parts[part] = np.load(final / f"{part}.npy", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise CacheInvalid(f"cannot read {part}.npy: {exc}") from exc
        if len(parts[part]) != meta["sizes"][part] or (len(parts[part]) and parts[part].max() >= rows):
            raise CacheInvalid(f"{part}.npy is not the stored split")
    if sum(len(v) for v in parts.values()) != rows:
        raise CacheInvalid("the stored split does not cover every row")
    return FixedSplit(**parts)
