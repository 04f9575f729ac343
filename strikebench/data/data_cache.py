"""The data half of the preprocessed cache: each dataset read by RecBole once, across processes.

``<cache_root>/<name>-<data key>/`` holds ``feat-<i>.parquet`` (each table as RecBole's
``_load_feat`` returned it), ``feats.json`` (per ``_load_feat`` call: file, source, table,
column kinds, field properties) and ``meta.json`` (key inputs, each file's checksum and the data
checksum). On a hit every file is checked against its checksum, the Dataset is rebuilt by
RecBole's own code from the stored tables (:mod:`strikebench.data.recorded_dataset`) and the
data checksum proves it loads to the rows and ids of a cold load; any mismatch or read error
rebuilds the entry. Entries are published atomically: concurrent
jobs never see half an entry, and the loser of a race discards its copy.
"""
from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from strikebench.config.plain import to_plain
from strikebench.data.cache_keys import FORMAT_VERSION, atomic_file_stats, data_checksum, data_key, recbole_version
from strikebench.data.duplicates import warn_duplicates
from strikebench.data.interactions import InteractionData, load_interactions
from strikebench.data.recorded_dataset import FeatTables, load_recorded
from strikebench.data.table_codec import CacheInvalid, read_json, write_json
from strikebench.results.atomic import new_temporary_dir, publish_directory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CacheEntry:
    """Where one dataset's preprocessed tables live, and the checksum of what they load to."""

    path: Path
    key: str
    checksum: str


class _NotStored(Exception):
    """The entry cannot be written (read-only, full or no directory; a table it cannot store)."""


def load_data_cached(name: str, data_dir, recbole_settings: dict, cache_root, model: str = "Pop"
                     ) -> tuple[InteractionData, CacheEntry | None, dict]:
    """``load_interactions`` through the cache: (data, its cache entry, info).

    info: ``data`` is ``hit``, ``miss`` (built now), ``rebuilt`` (the stored entry was unusable)
    or ``uncached`` (the cache root cannot be written: the entry is then None and the load is
    a plain ``load_interactions``); ``seconds`` per step, ``entry`` the directory, ``key`` the
    data key.
    """
    settings = to_plain(recbole_settings) or {}
    key = data_key(name, data_dir, settings, model)
    final = Path(cache_root).expanduser() / f"{name}-{key}"
    info: dict = {"key": key, "entry": str(final), "seconds": {}}
    started = time.perf_counter()
    invalid = None
    if final.is_dir():  # published whole (atomic rename), so a missing meta.json is damage
        try:
            data, checksum = _load_entry(name, data_dir, settings, model, final, info)
            info["data"] = "hit"
            info["seconds"]["data_total"] = time.perf_counter() - started
            return data, CacheEntry(final, key, checksum), info
        except CacheInvalid as exc:
            invalid = str(exc)
            log.warning("preprocessed cache %s is unusable (%s): rebuilding it", final, exc)
    try:
        data, checksum = _build_entry(name, data_dir, settings, model, final, key, info,
                                      replace=invalid is not None)
    except _NotStored as exc:  # a read-only or full data root, a table it cannot store: as before
        log.warning("cannot store the preprocessed cache under %s (%s): loading without it", final.parent, exc)
        data = load_interactions(name, Path(data_dir), settings, model)
        info.update(data="uncached", not_stored=str(exc))
        info["seconds"]["data_total"] = time.perf_counter() - started
        return data, None, info
    info["data"] = "rebuilt" if invalid else "miss"
    if invalid:
        info["invalid"] = invalid
    info["seconds"]["data_total"] = time.perf_counter() - started
    return data, CacheEntry(final, key, checksum), info


def _load_entry(name, data_dir, settings, model, final: Path, info: dict):
    meta = read_json(final / "meta.json")
    if meta.get("format") != FORMAT_VERSION:
        raise CacheInvalid(f"format {meta.get('format')}, expected {FORMAT_VERSION}")
    digests = meta.get("digests")
    if not isinstance(digests, dict):
        raise CacheInvalid("no checksums recorded (written by an older strikebench)")
    manifest = read_json(final / "feats.json", digests.get("feats.json"), kind=list)
    tables = FeatTables("replay", final, manifest, digests)
    tick = time.perf_counter()
    try:
        data = load_recorded(name, data_dir, settings, model, tables)
    except CacheInvalid:
        raise
    except (ValueError, KeyError, TypeError) as exc:  # a table RecBole cannot process
        raise CacheInvalid(f"RecBole could not process the stored tables: {exc}") from exc
    info["seconds"]["read_tables"] = tables.seconds
    info["seconds"]["recbole_processing"] = time.perf_counter() - tick - tables.seconds
    tick = time.perf_counter()
    checksum = data_checksum(data)
    info["seconds"]["checksum"] = time.perf_counter() - tick
    if checksum != meta.get("checksum"):
        raise CacheInvalid("the stored tables load to other rows or ids than when they were written")
    if not isinstance(meta.get("duplicates"), dict):
        raise CacheInvalid("no count of repeated user-item rows recorded (written by an older strikebench)")
    data.duplicates = meta["duplicates"]  # counted when written, for these very rows (the checksum)
    warn_duplicates(name, data.duplicates)
    return data, checksum


def _build_entry(name, data_dir, settings, model, final: Path, key: str, info: dict, replace: bool):
    try:
        tmp = new_temporary_dir(final)
    except OSError as exc:
        raise _NotStored(exc) from exc
    try:
        tables = FeatTables("record", tmp)
        tick = time.perf_counter()
        data = load_recorded(name, data_dir, settings, model, tables)
        info["seconds"]["recbole_load"] = time.perf_counter() - tick - tables.seconds
        info["seconds"]["write_tables"] = tables.seconds
        tick = time.perf_counter()
        checksum = data_checksum(data)
        info["seconds"]["checksum"] = time.perf_counter() - tick
        (tmp / "splits").mkdir()
        digests = {**tables.digests, "feats.json": write_json(tmp / "feats.json", tables.manifest)}
        write_json(tmp / "meta.json", {
            "format": FORMAT_VERSION, "key": key, "name": name, "model": model,
            "data_dir": str(Path(data_dir).expanduser().resolve()), "settings": settings,
            "files": atomic_file_stats(name, data_dir), "recbole": recbole_version(),
            "pandas": pd.__version__, "checksum": checksum, "rows": len(data),
            "n_users": data.n_users, "n_items": data.n_items, "created": time.time(), "digests": digests,
            "duplicates": data.duplicates,
        })
        # First rename wins; an unusable entry in place is replaced.
        info["published"] = publish_directory(tmp, final, replace=replace)
    except (OSError, CacheInvalid) as exc:  # no space left, permissions: nothing half-written stays
        shutil.rmtree(tmp, ignore_errors=True)
        raise _NotStored(exc) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return data, checksum
