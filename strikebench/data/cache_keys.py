"""What a preprocessed cache entry is for: its keys and the checksum of the data it loads to.

A data entry is keyed by everything that decides the loaded dataset (:func:`data_key`), a split
entry by its config (:func:`split_key`). Bump ``FORMAT_VERSION`` when what is stored, or how
it is read back, changes, and ``SPLIT_VERSION`` when ``make_split`` would give other rows for the
same config: old entries are then not reused.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from strikebench.data.interactions import InteractionData
from strikebench.data.split import split_as_used

FORMAT_VERSION = 2  # 2: checksums of every file and the count of repeated user-item rows in meta.json
SPLIT_VERSION = 1


def recbole_version() -> str:
    import recbole

    return str(getattr(recbole, "__version__", "?"))


def atomic_file_stats(name: str, data_dir: str | Path) -> list[list]:
    """(file name, size, mtime in ns) of every ``<name>.*`` file in ``data_dir``: what RecBole may read."""
    out = []
    if not Path(data_dir).is_dir():
        return out  # load_interactions then says which file is missing
    for path in sorted(Path(data_dir).iterdir()):
        if path.name.startswith(f"{name}.") and path.is_file():
            st = path.stat()
            out.append([path.name, st.st_size, st.st_mtime_ns])
    return out


def data_key(name: str, data_dir: str | Path, recbole_settings: dict, model: str = "Pop") -> str:
    """Digest of everything that decides the loaded dataset: the cache format, RecBole's version,
    the model (it picks the Dataset class and may bring dataset settings), the dataset's RecBole
    settings (load_col, filtering, ...), its directory and each atomic file's name, size and mtime."""
    blob = {
        "format": FORMAT_VERSION,
        "recbole": recbole_version(),
        "name": name,
        "model": str(model),
        "data_dir": str(Path(data_dir).expanduser().resolve()),
        "settings": recbole_settings,
        "files": atomic_file_stats(name, data_dir),
    }
    return _digest(blob)


def split_key(split_cfg) -> str:
    """Digest of the split config (seed, order, mode, ratios as RecBole normalises them) and the
    split code's version."""
    return _digest({"split_version": SPLIT_VERSION, "split": split_as_used(split_cfg)})


def _digest(blob) -> str:
    text = json.dumps(blob, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def data_checksum(data: InteractionData) -> str:
    """What a stored split is valid for: the rows' users and items (RecBole's internal ids, in row
    order) and the id -> token maps. Equal checksums mean the rows and ids of a cold load."""
    h = hashlib.blake2b(digest_size=16)
    for array in (data.user, data.item):
        a = np.ascontiguousarray(np.asarray(array, dtype=np.int64))
        h.update(len(a).to_bytes(8, "little"))
        h.update(memoryview(a).cast("B"))
    for tokens in (data.user_tokens, data.item_tokens):
        h.update(len(tokens).to_bytes(8, "little"))
        h.update("\x00".join(map(str, tokens.tolist())).encode())
    return h.hexdigest()


def default_cache_root(data_root) -> Path:
    """``<data_root>/.cache``, the default place of the preprocessed cache."""
    if data_root is None:
        from strikebench.datasets.registry import default_data_root

        data_root = default_data_root()
    return Path(data_root).expanduser() / ".cache"
