"""A preprocessed cache on disk: each dataset read once, each fixed split made once, across processes.

Every Slurm job of a sweep is a new process, and RecBole reads atomic files with pandas'
python-engine CSV parser (minutes at 20M interactions). The cache saves, once per (dataset,
RecBole settings incl. filtering, atomic files) and once per split config:

``<cache_root>/<name>-<data key>/``
    ``feat-<i>.parquet``, ``feats.json``, ``meta.json``: RecBole's raw tables
    (:mod:`strikebench.data.data_cache`, stored by :mod:`strikebench.data.table_codec`);
    ``splits/<split key>/``: the fixed split's row indices (:mod:`strikebench.data.split_cache`).

The raw tables are cached, not RecBole's processed ones, so nothing of RecBole's processing is
re-implemented (:mod:`strikebench.data.recorded_dataset`). Keys and the checksum that proves a
hit: :mod:`strikebench.data.cache_keys`. Nothing is pickled, and every entry is published
atomically (:mod:`strikebench.results.atomic`).
"""
from __future__ import annotations

from strikebench.data.data_cache import load_data_cached
from strikebench.data.interactions import InteractionData
from strikebench.data.split import FixedSplit, validate_split_config
from strikebench.data.split_cache import load_split_cached


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
