"""The split half of the preprocessed cache: each fixed split made once per data entry.

``<data entry>/splits/<split key>/{train,valid,test}.npy`` + ``meta.json``: the split's row
indices (read with ``allow_pickle=False``), used only when made for the same rows (the data
checksum), when each file matches the checksum recorded when it was written, and when the parts
are a partition of the rows with the recorded sizes; otherwise the split is made again. Published
atomically, as the data entries are.
"""
from __future__ import annotations

import io
import logging
import shutil
import time
from pathlib import Path

import numpy as np

from strikebench.data.cache_keys import SPLIT_VERSION, split_key
from strikebench.data.data_cache import CacheEntry
from strikebench.data.interactions import InteractionData
from strikebench.data.split import PARTS, FixedSplit, make_split, split_as_used, validate_split_config
from strikebench.data.table_codec import CacheInvalid, digest, read_json, read_verified, write_json
from strikebench.results.atomic import new_temporary_dir, publish_directory

HEADER_MAX = 65_536 + 12  # the longest .npy preamble: magic, version, length, header

log = logging.getLogger(__name__)


def load_split_cached(entry: CacheEntry | None, data: InteractionData, split_cfg) -> tuple[FixedSplit, dict]:
    """The fixed split of ``data`` for ``split_cfg``, from ``entry``'s store or made and stored.

    A stored split is used only if it was made for the same rows (checksum), its files match
    their checksums and it is a partition of the rows; else it is made again, with a warning.
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
    if final.is_dir():  # published whole (atomic rename), so a missing file is damage
        try:
            split = _read_split(final, entry.checksum, len(data))
            info.update(split="hit", split_seconds=time.perf_counter() - tick)
            return split, info
        except CacheInvalid as exc:
            log.warning("stored split %s is unusable (%s): making it again", final, exc)
            info["split_invalid"] = str(exc)
    split = make_split(data.user, data.timestamp, split_cfg)
    info.update(split="rebuilt" if "split_invalid" in info else "miss")
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
        digests = {}
        for part in PARTS:
            buffer = io.BytesIO()
            np.save(buffer, np.asarray(getattr(split, part), dtype=np.int64), allow_pickle=False)
            (tmp / f"{part}.npy").write_bytes(buffer.getvalue())
            digests[f"{part}.npy"] = digest(buffer.getvalue())
        write_json(tmp / "meta.json", {"split_version": SPLIT_VERSION, "split": split_as_used(split_cfg),
                                       "data_checksum": checksum, "rows": rows, "digests": digests,
                                       "sizes": {p: int(len(getattr(split, p))) for p in PARTS}})
        info["split_published"] = publish_directory(tmp, final, replace="split_invalid" in info)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _read_split(final: Path, checksum: str, rows: int) -> FixedSplit:
    """The stored split, if every file matches its checksum and the parts are a partition of
    ``rows`` with the recorded sizes; else CacheInvalid."""
    meta = read_json(final / "meta.json")
    if meta.get("split_version") != SPLIT_VERSION or meta.get("data_checksum") != checksum:
        raise CacheInvalid("made for other data or by another split version")
    digests, sizes = meta.get("digests"), meta.get("sizes")
    if not isinstance(digests, dict) or not isinstance(sizes, dict):
        raise CacheInvalid("no checksums recorded (written by an older strikebench)")
    parts = {part: _row_indices(final / f"{part}.npy", digests, sizes.get(part)) for part in PARTS}
    check_partition(parts, rows)
    return FixedSplit(**parts)


def _row_indices(path: Path, digests: dict, size) -> np.ndarray:
    """The int64 vector of ``size`` row indices stored at ``path``, if it matches its checksum:
    read once into an array that is hashed, and then viewed past the .npy header (no copy)."""
    raw = read_verified(path, digests.get(path.name), read=lambda p: np.fromfile(p, dtype=np.uint8))
    try:
        header = io.BytesIO(raw[:HEADER_MAX].tobytes())
        version = np.lib.format.read_magic(header)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran_order, dtype = read_header(header)
    except Exception as exc:  # noqa: BLE001 - whatever numpy cannot read means: make it again
        raise CacheInvalid(f"cannot read {path.name}: {type(exc).__name__}: {exc}") from exc
    start = header.tell()  # a multiple of 64 (numpy pads the header): the int64 view is aligned
    if dtype != np.int64 or fortran_order or shape != (size,) or len(raw) - start != 8 * size:
        raise CacheInvalid(f"{path.name} holds {dtype} {shape}, not the {size} row indices recorded")
    return raw[start:].view(np.int64)


def check_partition(parts: dict[str, np.ndarray], rows: int) -> None:
    """Each part sorted and without repeats, the parts disjoint, and every row of ``rows`` in one."""
    seen = np.zeros(rows, dtype=bool)
    for part, indices in parts.items():
        if len(indices) and (indices[0] < 0 or indices[-1] >= rows or not np.all(indices[1:] > indices[:-1])):
            raise CacheInvalid(f"{part}.npy is not sorted, unique row indices below {rows}")
        if seen[indices].any():
            raise CacheInvalid(f"{part}.npy shares rows with another part")
        seen[indices] = True
    if not seen.all():
        raise CacheInvalid(f"the stored split leaves {int((~seen).sum())} of {rows} rows out")
