"""RecBole's own Dataset, with its feature files read once and replayed from stored tables.

``FeatTables`` answers RecBole's ``Dataset._load_feat`` calls: ``record`` runs RecBole's reader
and saves what it returned (and the field properties it set) into a folder; ``replay`` returns
the saved tables instead of parsing the files. Everything else of RecBole's build (filtering,
remapping, feature preparation) runs unchanged, so a replayed load gives the internal ids of a
cold one. :func:`load_recorded` is ``load_interactions`` with such a Dataset.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from strikebench.data.interactions import InteractionData, load_interactions
from strikebench.data.table_codec import CacheInvalid, read_table, write_table
from strikebench.datasets.registry import check_rows

_PROPERTY_DICTS = ("field2source", "field2type", "field2seqlen", "field2bucketnum")


def dataset_class(config):
    """The class ``recbole.data.create_dataset`` would build for ``config`` (RecBole's rule, copied:
    ``create_dataset`` cannot be given a class)."""
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


class FeatTables:
    """Answers RecBole's ``_load_feat`` calls: ``record`` runs RecBole's reader and saves what it
    returned into ``directory``; ``replay`` returns the saved tables instead of parsing files.
    ``manifest`` lists, per call, the file, source, table, column kinds and the field properties
    set; ``digests`` each table's checksum (recorded, or to check); ``seconds`` is the time spent
    writing or reading (and checking) tables."""

    def __init__(self, mode: str, directory: Path, manifest: list | None = None, digests: dict | None = None):
        self.mode, self.directory = mode, Path(directory)
        self.manifest = [] if manifest is None else manifest
        self.digests = {} if digests is None else digests  # table file -> checksum of its bytes
        self.seconds = 0.0

    def load_feat(self, dataset, base_load_feat, filepath, source):
        source_value = getattr(source, "value", source)
        file = Path(filepath).name
        if self.mode == "replay":
            return self._replay(dataset, file, source_value)
        before = {d: dict(getattr(dataset, d)) for d in _PROPERTY_DICTS}
        check_rows(filepath)  # RecBole reads a short row without a word
        df = base_load_feat(filepath, source)
        tick = time.perf_counter()
        changed = {d: {k: _encode_property(v) for k, v in getattr(dataset, d).items()
                       if k not in before[d] or before[d][k] != v} for d in _PROPERTY_DICTS}
        entry = {"file": file, "source": source_value, "properties": changed, "table": None}
        if df is not None:
            table = f"feat-{len(self.manifest)}.parquet"
            columns, self.digests[table] = write_table(df, dataset.field2type, self.directory / table)
            entry.update(table=table, columns=columns, rows=len(df))
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
            df = read_table(self.directory / entry["table"], entry["columns"], self.digests.get(entry["table"]))
            if len(df) != entry["rows"]:
                raise CacheInvalid(f"{entry['table']} has {len(df)} rows, expected {entry['rows']}")
        self.seconds += time.perf_counter() - tick
        return df


def dataset_factory(tables: FeatTables):
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


def load_recorded(name, data_dir, recbole_settings, model, tables: FeatTables) -> InteractionData:
    """``load_interactions`` whose feature files are recorded into, or replayed from, ``tables``."""
    return load_interactions(name, Path(data_dir), recbole_settings, model, dataset_factory=dataset_factory(tables),
                             count_duplicates=tables.mode == "record")  # a replay has the count in meta.json
