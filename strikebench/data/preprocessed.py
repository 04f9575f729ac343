"""A preprocessed cache on disk: each dataset read once, each fixed split made once, across processes.

Every Slurm job of a sweep is a new process, and RecBole reads atomic files with pandas'
python-engine CSV parser (minutes at 20M interactions). This module saves, once per
(dataset, RecBole settings incl. filtering, atomic files) and once per split config:

``<cache_root>/<name>-<data key>/``
    ``feat-<i>.parquet``  each table exactly as RecBole's ``Dataset._load_feat`` returned it
                          (RecBole's column names, token columns as strings, float columns as
                          float64, token_seq / float_seq columns as lists);
    ``feats.json``        for each ``_load_feat`` call: file, source, table, column kinds and the
                          field properties (type, source, seqlen, bucketnum) it set on the Dataset;
    ``meta.json``         key inputs and a checksum of the loaded user/item arrays and id maps;
    ``splits/<split key>/{train,valid,test}.npy`` + ``meta.json``: the fixed split's row indices.

On a hit the RecBole Dataset is built by RecBole's own code (filtering, remapping, feature
preparation all run unchanged) with only ``_load_feat`` answered from the Parquet tables, so
internal ids are those of a cold load; the checksum proves it before a stored split is used,
and a mismatch rebuilds the entry. Nothing is pickled (Parquet via pyarrow, JSON, ``.npy``
read with ``allow_pickle=False``). Every entry is written into a temporary sibling directory
and renamed into place, so concurrent jobs never see half an entry; the loser of a race
discards its copy.

The raw tables are cached, not RecBole's processed ones, so nothing of RecBole's processing is
re-implemented here. Keys: :func:`data_key` and :func:`split_key`.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from strikebench.data.interactions import InteractionData, load_interactions
from strikebench.data.split import FixedSplit, make_split, validate_split_config

# Bump when what is stored, or how it is read back, changes: old entries are then not reused.
FORMAT_VERSION = 1
# Bump when make_split would give different rows for the same config.
SPLIT_VERSION = 1
STALE_TMP_SECONDS = 24 * 3600  # temporary dirs of jobs killed mid-write are removed after this
PARTS = ("train", "valid", "test")

log = logging.getLogger(__name__)


class CacheInvalid(Exception):
    """A stored entry cannot be used (unreadable, incomplete or not matching): rebuild it."""


@dataclass(frozen=True)
class CacheEntry:
    """Where one dataset's preprocessed tables live, and the checksum of what they load to."""

    path: Path
    key: str
    checksum: str


# --- keys -------------------------------------------------------------------------------------

def _recbole_version() -> str:
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
        "recbole": _recbole_version(),
        "name": name,
        "model": str(model),
        "data_dir": str(Path(data_dir).expanduser().resolve()),
        "settings": recbole_settings,
        "files": atomic_file_stats(name, data_dir),
    }
    return _digest(blob)


def split_key(split_cfg) -> str:
    """Digest of the split config (seed, order, mode, ratios) and the split code's version."""
    return _digest({"split_version": SPLIT_VERSION, "split": _plain(split_cfg)})


def _digest(blob) -> str:
    text = json.dumps(blob, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _plain(node):
    try:
        from omegaconf import OmegaConf

        if OmegaConf.is_config(node):
            return OmegaConf.to_container(node, resolve=True)
    except ImportError:
        pass
    return dict(node) if node is not None else None


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


# --- the RecBole Dataset class with a recorded / replayed _load_feat ---------------------------

def dataset_class(config):
    """The class ``recbole.data.create_dataset`` would build for ``config`` (same rule)."""
    import importlib

    from recbole.utils import ModelType

    module = importlib.import_module("recbole.data.dataset")
    if hasattr(module, config["model"] + "Dataset"):
        return getattr(module, config["model"] + "Dataset")
    type2class = {
        ModelType.GENERAL: "Dataset",
        ModelType.SEQUENTIAL: "SequentialDataset",
        ModelType.CONTEXT: "Dataset",
        ModelType.KNOWLEDGE: "KnowledgeBasedDataset",
        ModelType.TRADITIONAL: "Dataset",
        ModelType.DECISIONTREE: "Dataset",
    }
    return getattr(module, type2class[config["MODEL_TYPE"]])


_PROPERTY_DICTS = ("field2source", "field2type", "field2seqlen", "field2bucketnum")


def _encode_property(value):
    from recbole.utils import FeatureSource, FeatureType

    if isinstance(value, FeatureType):
        return {"FeatureType": value.value}
    if isinstance(value, FeatureSource):
        return {"FeatureSource": value.value}
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, np.integer):
        return int(value)
    raise CacheInvalid(f"cannot store field property {value!r} as JSON")


def _decode_property(value):
    from recbole.utils import FeatureSource, FeatureType

    if isinstance(value, dict):
        (kind, v), = value.items()
        return FeatureType(v) if kind == "FeatureType" else FeatureSource(v)
    return value


class _FeatTables:
    """Answers RecBole's ``_load_feat`` calls: ``record`` runs RecBole's reader and saves what it
    returned into ``directory``; ``replay`` returns the saved tables instead of parsing files."""

    def __init__(self, mode: str, directory: Path, manifest: list | None = None):
        self.mode, self.directory = mode, Path(directory)
        self.manifest = [] if manifest is None else manifest
        self.seconds = 0.0

    def load_feat(self, dataset, base_load_feat, filepath, source):
        source_value = getattr(source, "value", source)
        file = Path(filepath).name
        if self.mode == "replay":
            return self._replay(dataset, file, source_value)
        before = {d: dict(getattr(dataset, d)) for d in _PROPERTY_DICTS}
        df = base_load_feat(filepath, source)
        tick = time.perf_counter()
        changed = {d: {k: _encode_property(v) for k, v in getattr(dataset, d).items()
                       if k not in before[d] or before[d][k] != v} for d in _PROPERTY_DICTS}
        entry = {"file": file, "source": source_value, "properties": changed, "table": None}
        if df is not None:
            table = f"feat-{len(self.manifest)}.parquet"
            entry.update(table=table, columns=_write_table(df, dataset.field2type, self.directory / table),
                         rows=len(df))
        self.manifest.append(entry)
        self.seconds += time.perf_counter() - tick
        return df

    def _replay(self, dataset, file, source_value):
        tick = time.perf_counter()
        matches = [e for e in self.manifest if e["file"] == file and e["source"] == source_value]
        if len(matches) != 1:
            raise CacheInvalid(f"no stored table for {file} ({source_value})")
        entry = matches[0]
        for d, values in entry["properties"].items():
            getattr(dataset, d).update({k: _decode_property(v) for k, v in values.items()})
        df = None
        if entry["table"] is not None:
            df = _read_table(self.directory / entry["table"], entry["columns"])
            if len(df) != entry["rows"]:
                raise CacheInvalid(f"{entry['table']} has {len(df)} rows, expected {entry['rows']}")
        self.seconds += time.perf_counter() - tick
        return df


def _factory(tables: _FeatTables):
    """A stand-in for ``recbole.data.create_dataset`` (without its pickle-based save/load) whose
    Dataset reads features through ``tables``. The object it returns is of RecBole's own class."""

    def create(config):
        base = dataset_class(config)

        class _Tabled(base):
            def _load_feat(self, filepath, source):
                return tables.load_feat(self, super()._load_feat, filepath, source)

        _Tabled.__name__ = _Tabled.__qualname__ = base.__name__
        dataset = _Tabled.__new__(_Tabled)
        _Tabled.__init__(dataset, config)
        dataset.__class__ = base  # indistinguishable from create_dataset's object from here on
        return dataset

    return create


@contextlib.contextmanager
def _create_dataset_as(factory):
    """Make ``load_interactions`` build its Dataset with ``factory``.

    ``load_interactions`` imports ``recbole.data.create_dataset`` when it runs, so swapping that
    attribute for the call is enough. Once ``load_interactions`` takes a ``dataset_factory``
    argument this is not used (see :func:`_load`).
    """
    import recbole.data

    saved = recbole.data.create_dataset
    recbole.data.create_dataset = factory
    try:
        yield
    finally:
        recbole.data.create_dataset = saved


def _load(name, data_dir, recbole_settings, model, tables: _FeatTables) -> InteractionData:
    import inspect

    factory = _factory(tables)
    if "dataset_factory" in inspect.signature(load_interactions).parameters:
        return load_interactions(name, Path(data_dir), recbole_settings, model, dataset_factory=factory)
    with _create_dataset_as(factory):
        return load_interactions(name, Path(data_dir), recbole_settings, model)


# --- Parquet tables ---------------------------------------------------------------------------

def _write_table(df: pd.DataFrame, field2type: dict, path: Path) -> list[list[str]]:
    """Write ``df`` as RecBole returned it; returns [column, kind] in column order."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns, arrays = [], []
    for col in df.columns:
        values = df[col].to_numpy()
        kind = getattr(field2type.get(col), "value", None) or _kind_of(values)
        if kind == "float" and values.dtype == np.float64:
            arrays.append(pa.array(values, type=pa.float64()))  # NaN kept as NaN, bit for bit
        elif kind == "token" and values.dtype == object:
            # Dictionary-encoded: small on disk, and read back as one str object per distinct token.
            arrays.append(pa.array(values, type=pa.string(), from_pandas=True).dictionary_encode())
        elif kind in ("token_seq", "float_seq") and values.dtype == object:
            item = pa.string() if kind == "token_seq" else pa.float64()
            arrays.append(pa.array([v.tolist() for v in values], type=pa.list_(item)))
        else:
            raise CacheInvalid(f"column {col!r} of kind {kind} has dtype {values.dtype}: not cacheable")
        columns.append([str(col), kind])
    table = pa.Table.from_arrays(arrays, names=[c for c, _ in columns])
    pq.write_table(table, path, compression="zstd")
    return columns


def _kind_of(values: np.ndarray) -> str:
    """The kind of a column RecBole read without recording its type (a ``link`` file's)."""
    if values.dtype == np.float64:
        return "float"
    first = next((v for v in values if isinstance(v, np.ndarray) and len(v)), None)
    if first is not None:
        return "float_seq" if first.dtype == np.float64 else "token_seq"
    return "token"


def _token_values(column) -> np.ndarray:
    """An object array of str (NaN where missing), each distinct token one shared str object."""
    import pyarrow as pa
    import pyarrow.compute as pc

    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    if not chunks:
        return np.zeros(0, dtype=object)
    chunks = [c if pa.types.is_dictionary(c.type) else pc.dictionary_encode(c) for c in chunks]
    dictionary = pa.concat_arrays([c.dictionary for c in chunks]).cast(pa.string())
    offsets = np.cumsum([0] + [len(c.dictionary) for c in chunks[:-1]])
    uniques = np.empty(len(dictionary) + 1, dtype=object)
    uniques[:-1] = dictionary.to_numpy(zero_copy_only=False)
    uniques[-1] = np.nan  # missing values, as pandas' read_csv gives them
    parts = []
    for c, offset in zip(chunks, offsets):
        idx = c.indices.cast(pa.int64())
        codes = pc.fill_null(pc.add(idx, int(offset)), len(dictionary)).to_numpy()
        parts.append(codes)
    return uniques[np.concatenate(parts)]


def _read_table(path: Path, columns: list[list[str]]) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable file means: rebuild
        raise CacheInvalid(f"cannot read {path.name}: {exc}") from exc
    if table.column_names != [c for c, _ in columns]:
        raise CacheInvalid(f"{path.name} has columns {table.column_names}")
    data = {}
    for col, kind in columns:
        column = table.column(col)
        if kind == "float":
            values = column.to_numpy()
            data[col] = values if values.flags.writeable else values.copy()  # RecBole fills in place
        elif kind == "token":
            data[col] = _token_values(column)
        else:  # a list per row, as RecBole builds it: np.array(list(...)), float64 when empty
            rows = column.to_pylist()
            out = np.empty(len(rows), dtype=object)
            for i, v in enumerate(rows):
                out[i] = np.array(v)
            data[col] = out
    del table
    frame = pd.DataFrame({c: pd.Series(v, dtype=v.dtype, copy=False) for c, v in data.items()},
                         columns=[c for c, _ in columns])
    return frame


# --- atomic directories -----------------------------------------------------------------------

def _remove_stale_temporaries(parent: Path, prefix: str) -> None:
    """Remove temporary dirs left by jobs killed mid-write (older than STALE_TMP_SECONDS)."""
    now = time.time()
    for path in parent.glob(prefix + "*"):
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime > STALE_TMP_SECONDS:
                shutil.rmtree(path, ignore_errors=True)


def _new_temporary(final: Path) -> Path:
    final.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(final.parent, f".tmp-{final.name}-")
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{final.name}-", dir=final.parent))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; the data root may be shared
    return tmp


def _publish(tmp: Path, final: Path, replace: bool = False) -> bool:
    """Rename ``tmp`` to ``final``; True if ours is now in place, False if another job's already was
    (ours is then discarded). ``replace``: move an invalid ``final`` aside first."""
    if replace and final.exists():
        trash = final.parent / f".tmp-{final.name}-old-{uuid.uuid4().hex[:8]}"
        with contextlib.suppress(OSError):  # another job may have moved it already
            os.rename(final, trash)
            shutil.rmtree(trash, ignore_errors=True)
    try:
        os.rename(tmp, final)
        return True
    except OSError:
        if not final.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        shutil.rmtree(tmp, ignore_errors=True)
        return False


def _write_json(path: Path, value) -> None:
    path.write_text(json.dumps(value, indent=1, sort_keys=True, default=str))


def _read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CacheInvalid(f"cannot read {path.name}: {exc}") from exc


# --- the cache --------------------------------------------------------------------------------

def load_data_cached(name: str, data_dir, recbole_settings: dict, cache_root, model: str = "Pop"
                     ) -> tuple[InteractionData, CacheEntry | None, dict]:
    """``load_interactions`` through the cache: (data, its cache entry, info).

    info: ``data`` is ``hit``, ``miss`` (built now), ``rebuilt`` (the stored entry was unusable)
    or ``uncached`` (the cache root cannot be written: the entry is then None and the load is
    a plain ``load_interactions``); ``seconds`` per step, ``entry`` the directory, ``key`` the
    data key.
    """
    settings = _plain(recbole_settings) or {}
    key = data_key(name, data_dir, settings, model)
    final = Path(cache_root).expanduser() / f"{name}-{key}"
    info: dict = {"key": key, "entry": str(final), "seconds": {}}
    started = time.perf_counter()
    invalid = None
    if (final / "meta.json").is_file():
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
    meta = _read_json(final / "meta.json")
    if meta.get("format") != FORMAT_VERSION:
        raise CacheInvalid(f"format {meta.get('format')}, expected {FORMAT_VERSION}")
    manifest = _read_json(final / "feats.json")
    tables = _FeatTables("replay", final, manifest)
    tick = time.perf_counter()
    try:
        data = _load(name, data_dir, settings, model, tables)
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
    return data, checksum


class _NotStored(Exception):
    """The entry cannot be written (read-only, full or no directory; a table it cannot store)."""


def _build_entry(name, data_dir, settings, model, final: Path, key: str, info: dict, replace: bool):
    try:
        tmp = _new_temporary(final)
    except OSError as exc:
        raise _NotStored(exc) from exc
    try:
        tables = _FeatTables("record", tmp)
        tick = time.perf_counter()
        data = _load(name, data_dir, settings, model, tables)
        info["seconds"]["recbole_load"] = time.perf_counter() - tick - tables.seconds
        info["seconds"]["write_tables"] = tables.seconds
        tick = time.perf_counter()
        checksum = data_checksum(data)
        info["seconds"]["checksum"] = time.perf_counter() - tick
        (tmp / "splits").mkdir()
        _write_json(tmp / "feats.json", tables.manifest)
        _write_json(tmp / "meta.json", {
            "format": FORMAT_VERSION, "key": key, "name": name, "model": model,
            "data_dir": str(Path(data_dir).expanduser().resolve()), "settings": settings,
            "files": atomic_file_stats(name, data_dir), "recbole": _recbole_version(),
            "pandas": pd.__version__, "checksum": checksum, "rows": len(data),
            "n_users": data.n_users, "n_items": data.n_items, "created": time.time(),
        })
        info["published"] = _publish(tmp, final, replace=replace)
    except (OSError, CacheInvalid) as exc:  # no space left, permissions: nothing half-written stays
        shutil.rmtree(tmp, ignore_errors=True)
        raise _NotStored(exc) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return data, checksum


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
    tmp = _new_temporary(final)
    try:
        for part in PARTS:
            np.save(tmp / f"{part}.npy", np.asarray(getattr(split, part), dtype=np.int64), allow_pickle=False)
        _write_json(tmp / "meta.json", {"split_version": SPLIT_VERSION, "split": _plain(split_cfg),
                                        "data_checksum": checksum, "rows": rows,
                                        "sizes": {p: int(len(getattr(split, p))) for p in PARTS}})
        info["split_published"] = _publish(tmp, final, replace="split_invalid" in info)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _read_split(final: Path, checksum: str, rows: int) -> FixedSplit:
    meta = _read_json(final / "meta.json")
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


def load_with_cache(name: str, data_dir, recbole_settings: dict, split_cfg, cache_root, model: str = "Pop"
                    ) -> tuple[InteractionData, FixedSplit, dict]:
    """The dataset and its fixed split, read from the preprocessed cache or built and stored there.

    Returns (data, split, info): ``info['data']`` and ``info['split']`` are ``hit`` / ``miss``
    (``rebuilt`` when a stored entry was unusable, ``uncached`` when ``cache_root`` cannot be
    written), ``info['hit']`` is True when both were hits, ``info['seconds']`` times each step,
    ``info['key']`` is ``<data key>/<split key>``.
    """
    validate_split_config(split_cfg)  # bad split config stops before any reading
    data, entry, info = load_data_cached(name, data_dir, recbole_settings, cache_root, model)
    split, split_info = load_split_cached(entry, data, split_cfg)
    info["seconds"]["split"] = split_info.pop("split_seconds")
    info.update(split_info)
    info["key"] = f"{entry.key}/{split_info['split_key']}" if entry else None
    info["hit"] = info["data"] == "hit" and info["split"] == "hit"
    return data, split, info
