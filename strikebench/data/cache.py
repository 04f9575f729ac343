"""Load each dataset and make each fixed split once: per process in memory, and across processes
(every Slurm job is a new one) through the preprocessed cache under ``<data_root>/.cache``."""
from __future__ import annotations

import json

from strikebench.config.plain import to_plain
from strikebench.data.cache_keys import default_cache_root
from strikebench.data.data_cache import CacheEntry, load_data_cached
from strikebench.data.interactions import InteractionData, load_interactions
from strikebench.data.split import FixedSplit
from strikebench.data.split_cache import load_split_cached

_DATA: dict[str, InteractionData] = {}
_ENTRIES: dict[str, CacheEntry | None] = {}
_SPLITS: dict[str, FixedSplit] = {}


def dataset_key(dataset_cfg, data_root) -> str:
    return json.dumps([to_plain(dataset_cfg), str(data_root)], sort_keys=True, default=str)


def get_data(dataset_cfg, data_root, use_cache: bool = True) -> InteractionData:
    from strikebench.datasets.registry import locate

    key = dataset_key(dataset_cfg, data_root)
    if key not in _DATA:
        directory = locate(dataset_cfg, data_root)
        settings = to_plain(dataset_cfg.recbole)
        if use_cache:
            _DATA[key], _ENTRIES[key], _ = load_data_cached(dataset_cfg.name, directory, settings,
                                                            default_cache_root(data_root))
        else:
            _DATA[key], _ENTRIES[key] = load_interactions(dataset_cfg.name, directory, settings), None
    return _DATA[key]


def get_split(dataset_cfg, data_root, split_cfg, use_cache: bool = True) -> tuple[InteractionData, FixedSplit]:
    data = get_data(dataset_cfg, data_root, use_cache)
    data_key = dataset_key(dataset_cfg, data_root)
    key = data_key + json.dumps(to_plain(split_cfg), sort_keys=True)
    if key not in _SPLITS:
        _SPLITS[key] = load_split_cached(_ENTRIES.get(data_key), data, split_cfg)[0]  # None: plain make_split
    return data, _SPLITS[key]
