"""How the preprocessed cache stores tables and notes: Parquet and JSON, nothing pickled.

A table is stored exactly as RecBole's ``Dataset._load_feat`` returned it: RecBole's column
names, token columns as strings (dictionary-encoded), float columns as float64 (NaN kept bit
for bit), token_seq / float_seq columns as lists. Anything unreadable or not matching what was
written raises :class:`CacheInvalid`: the caller then rebuilds the entry. Every file's
checksum (:func:`digest`, sha256 of its bytes) is recorded in the entry's ``meta.json`` when
it is written and checked when it is read back (:func:`read_verified`).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd


class CacheInvalid(Exception):
    """A stored entry cannot be used (unreadable, incomplete or not matching): rebuild it."""


def digest(raw: bytes) -> str:
    """The checksum of a stored file's bytes: sha256 (OpenSSL's, with the CPU's SHA instructions
    where it has them: about twice as fast as blake2b on 20M row indices)."""
    return hashlib.sha256(raw).hexdigest()


def write_json(path: Path, value) -> str:
    """Write ``value`` as JSON; returns the file's checksum."""
    raw = json.dumps(value, indent=1, sort_keys=True, default=str).encode()
    path.write_bytes(raw)
    return digest(raw)


def read_verified(path: Path, expected: str | None, read=Path.read_bytes):
    """The contents of ``path`` (``read(path)``: bytes, or any buffer such as a numpy array) if
    they match the checksum recorded when it was written."""
    if not expected:
        raise CacheInvalid(f"no checksum recorded for {path.name}")
    try:
        raw = read(path)
    except (OSError, ValueError) as exc:
        raise CacheInvalid(f"cannot read {path.name}: {exc}") from exc
    if digest(raw) != expected:
        raise CacheInvalid(f"{path.name} does not match the checksum recorded when it was written")
    return raw


def read_json(path: Path, expected: str | None = None, kind: type = dict):
    """A stored JSON value of type ``kind``; with ``expected``, only if the file matches that checksum."""
    try:
        value = json.loads(read_verified(path, expected) if expected is not None else path.read_bytes())
    except (OSError, ValueError) as exc:
        raise CacheInvalid(f"cannot read {path.name}: {exc}") from exc
    if not isinstance(value, kind):
        raise CacheInvalid(f"{path.name} is not a JSON {kind.__name__}")
    return value


def write_table(df: pd.DataFrame, field2type: dict, path: Path) -> tuple[list[list[str]], str]:
    """Write ``df`` as RecBole returned it; returns ([column, kind] in column order, the file's checksum)."""
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
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    raw = sink.getvalue().to_pybytes()
    path.write_bytes(raw)
    return columns, digest(raw)


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


def read_table(path: Path, columns: list[list[str]], expected: str | None) -> pd.DataFrame:
    """The table stored at ``path``, read only if it matches its checksum ``expected``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    raw = read_verified(path, expected)
    try:
        table = pq.read_table(pa.BufferReader(raw))
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
    del table, raw
    frame = pd.DataFrame({c: pd.Series(v, dtype=v.dtype, copy=False) for c, v in data.items()},
                         columns=[c for c, _ in columns])
    return frame
