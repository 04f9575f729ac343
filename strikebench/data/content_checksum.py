"""The content checksum of a dataset: the bytes of the atomic files RecBole reads, hashed.

It is part of every cell's key and study (docs/design.md rule 5), so changed data never reuses
old records, and the same files anywhere (another machine, another folder, other mtimes) give
the same checksum: a reviewer's re-run has the same key. Planning thousands of cells must not
hash the files thousands of times: each file's digest is remembered by (path, size, mtime_ns)
in ``<cache root>/content_checksums.json`` and in memory, and read again only when those change
(or when the file was modified just before it was hashed, see ``RACY_NS``).
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path

from strikebench.config.plain import to_plain
from strikebench.data.cache_keys import default_cache_root
from strikebench.results.atomic import atomic_file

MEMO = "content_checksums.json"
CHUNK = 1 << 22
RACY_NS = 2_000_000_000  # files modified less than 2 s before they are hashed are not remembered

log = logging.getLogger(__name__)
_MEMORY: dict[str, dict] = {}  # path -> {"size", "mtime_ns", "sha256"}, across calls of this process


def read_files(recbole_settings: dict) -> list[str]:
    """The suffixes of the atomic files RecBole reads: ``load_col``'s (inter, user, item ...) and
    any ``additional_feat_suffix``; other files beside them (e.g. ml-100k.kg) are not read."""
    settings = to_plain(recbole_settings) or {}
    suffixes = set((settings.get("load_col") or {"inter": None}).keys())
    suffixes |= set(settings.get("additional_feat_suffix") or ())
    return sorted(suffixes)


def dataset_checksum(dataset_cfg, data_root) -> str:
    """``sha256:<hex>`` of the dataset's content: each file RecBole reads (by suffix and bytes).

    Raises the registry's DatasetNotAvailable (with how to get the files) when they are absent;
    synthetic data is generated first, as a cell would.
    """
    from strikebench.datasets.registry import as_config, locate

    cfg = as_config(dataset_cfg)
    directory = locate(cfg, data_root)
    files = [(suffix, directory / f"{cfg['name']}.{suffix}") for suffix in read_files(cfg["recbole"])]
    memo = _Memo(default_cache_root(data_root) / MEMO)
    digests = [[suffix, memo.digest(path)] for suffix, path in files if path.is_file()]
    memo.save()
    text = json.dumps(digests, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


class _Memo:
    """File digests remembered by (path, size, mtime_ns): in memory, and in a JSON file shared by
    every process that uses the same data root (written atomically; the last writer wins)."""

    def __init__(self, path: Path):
        self.path, self.changed = path, False
        if not _MEMORY.get(str(path)):
            _MEMORY[str(path)] = self._read()
        self.entries = _MEMORY[str(path)]

    def _read(self) -> dict:
        try:
            entries = json.loads(self.path.read_text())
            return entries if isinstance(entries, dict) else {}
        except (OSError, ValueError):  # absent or damaged: the digests are computed again
            return {}

    def digest(self, file: Path) -> str:
        stat = file.stat()
        key = str(file.resolve())
        known = self.entries.get(key)
        if isinstance(known, dict) and known.get("size") == stat.st_size and known.get("mtime_ns") == stat.st_mtime_ns:
            return str(known["sha256"])
        h = hashlib.sha256()
        with open(file, "rb") as fh:
            for block in iter(lambda: fh.read(CHUNK), b""):
                h.update(block)
        # A file changed within the file system's mtime resolution of its last hash could keep its
        # size and mtime ("racy git"): one this fresh is hashed again next time, not remembered.
        if time.time_ns() - stat.st_mtime_ns > RACY_NS:
            self.entries[key] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": h.hexdigest()}
            self.changed = True
        return h.hexdigest()

    def save(self) -> None:
        if not self.changed:
            return
        merged = {**self._read(), **self.entries}  # keep what other processes added meanwhile
        try:
            with atomic_file(self.path) as fh:
                json.dump(merged, fh, indent=1, sort_keys=True)
        except OSError as exc:  # a read-only data root: the digests are kept in memory only
            log.warning("cannot remember content checksums in %s (%s)", self.path, exc)
