"""Datasets: the registry (conf/dataset/*.yaml), fetching, and the synthetic generator.

    from strikebench.datasets import locate
    path = locate("ml-100k")            # directory holding ml-100k.inter; RecBole reads it with
                                        # dataset=path.name, data_path=path.parent
"""
from strikebench.datasets.registry import (
    DatasetNotAvailable,
    as_config,
    check_atomic_files,
    dataset_names,
    default_data_root,
    load_config,
    locate,
)

__all__ = [
    "DatasetNotAvailable",
    "as_config",
    "check_atomic_files",
    "dataset_names",
    "default_data_root",
    "load_config",
    "locate",
]
