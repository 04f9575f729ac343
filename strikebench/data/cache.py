"""Load each dataset and make each fixed split once per process, whatever number of cells use them."""
from __future__ import annotations

import json

from omegaconf import OmegaConf

from strikebench.data.interactions import InteractionData, load_interactions
from strikebench.data.split import FixedSplit, make_split

_DATA: dict[str, InteractionData] = {}
_SPLITS: dict[str, FixedSplit] = {}


def _plain(node) -> dict:
    return OmegaConf.to_container(node, resolve=True) if OmegaConf.is_config(node) else dict(node)


def dataset_key(dataset_cfg, data_root) -> str:
    return json.dumps([_plain(dataset_cfg), str(data_root)], sort_keys=True, default=str)


def get_data(dataset_cfg, data_root) -> InteractionData:
    from strikebench.datasets.registry import locate

    key = dataset_key(dataset_cfg, data_root)
    if key not in _DATA:
        directory = locate(dataset_cfg, data_root)
        _DATA[key] = load_interactions(dataset_cfg.name, directory, _plain(dataset_cfg.recbole))
    return _DATA[key]


def get_split(dataset_cfg, data_root, split_cfg) -> tuple[InteractionData, FixedSplit]:
    data = get_data(dataset_cfg, data_root)
    key = dataset_key(dataset_cfg, data_root) + json.dumps(_plain(split_cfg), sort_keys=True)
    if key not in _SPLITS:
        _SPLITS[key] = make_split(data.user, data.timestamp, split_cfg)
    return data, _SPLITS[key]
