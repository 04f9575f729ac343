"""Load a dataset from RecBole atomic files, once, into RecBole's Dataset plus plain arrays.

RecBole does the reading, filtering and token remapping, so strikebench's internal ids are
RecBole's. The arrays are what levers and the evaluator work on; the RecBole Dataset is what
models are built from (a company's training data is a copy of it with fewer rows).
"""
from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from strikebench import compat
from strikebench.data.duplicates import duplicate_interactions, warn_duplicates
from strikebench.datasets.registry import check_files, check_rows
from strikebench.errors import DataError


@dataclass
class InteractionData:
    """Every interaction of a dataset, indexed by row; ids are RecBole's internal ids."""

    name: str
    recbole_dataset: object  # recbole Dataset with inter_feat as an Interaction
    user: np.ndarray
    item: np.ndarray
    rating: np.ndarray | None
    timestamp: np.ndarray | None
    user_tokens: np.ndarray  # internal id -> original token; id 0 is RecBole's [PAD]
    item_tokens: np.ndarray
    user_features: pd.DataFrame | None = None  # indexed by internal user id, token values
    item_features: pd.DataFrame | None = None
    duplicates: dict | None = None  # rows repeating a user-item pair: found, removed, rm_dup_inter

    @property
    def n_users(self) -> int:
        return len(self.user_tokens)

    @property
    def n_items(self) -> int:
        return len(self.item_tokens)

    def __len__(self) -> int:
        return len(self.user)


def load_interactions(name: str, data_dir: Path, recbole_settings: dict, model: str = "Pop",
                      dataset_factory=None, count_duplicates: bool = True) -> InteractionData:
    """Read ``<data_dir>/<name>.*`` with RecBole and return the data every cell shares.

    ``count_duplicates=False`` leaves ``duplicates`` to the caller (the cache has the count).

    ``model`` only chooses RecBole's dataset class. The shared dataset is always loaded as a
    general one (cells of every model reuse it); sequential models get RecBole's
    ``SequentialDataset``, augmented from each company's own training rows, in
    ``strikebench.training.sequences.sequential_dataset``.
    """
    compat.apply()
    from recbole.data import create_dataset

    check_files(Path(data_dir), name, recbole_settings.get("load_col"))
    if dataset_factory is None:  # RecBole reads the files now (a cache build checks each file it records)
        for suffix in recbole_settings.get("load_col") or {"inter": None}:
            check_rows(Path(data_dir) / f"{name}.{suffix}")
    config_dict = dict(recbole_settings)
    config_dict.update(data_path=str(Path(data_dir).parent), show_progress=False)
    config = compat.recbole_config(model, name, config_dict)
    # RecBole logs each step at INFO through the root logger; keep a sweep's output readable.
    logging.getLogger().setLevel(max(logging.getLogger().level, logging.WARNING))
    try:
        with warnings.catch_warnings():
            # pandas 2.x FutureWarnings about RecBole's inplace fillna (why pandas is pinned < 3)
            warnings.filterwarnings("ignore", category=FutureWarning)
            dataset = (dataset_factory or create_dataset)(config)
    except (ValueError, KeyError, IndexError, pd.errors.ParserError) as exc:
        raise DataError(f"RecBole could not read dataset {name!r} in {data_dir}: {exc}") from exc
    if len(dataset.inter_feat) == 0:
        raise DataError(f"dataset {name!r} has no interactions after filtering")

    inter = dataset.inter_feat
    uid, iid = dataset.uid_field, dataset.iid_field
    rating_field = config["RATING_FIELD"]
    time_field = config["TIME_FIELD"]

    def column(field_name):
        if field_name and field_name in inter.columns:
            return inter[field_name].to_numpy()
        return None

    user_features = _features(dataset, "user_feat", uid)
    item_features = _features(dataset, "item_feat", iid)
    data = InteractionData(
        name=name,
        recbole_dataset=dataset,
        user=inter[uid].to_numpy(np.int64),
        item=inter[iid].to_numpy(np.int64),
        rating=column(rating_field),
        timestamp=column(time_field),
        user_tokens=np.asarray(dataset.field2id_token[uid]),
        item_tokens=np.asarray(dataset.field2id_token[iid]),
        user_features=user_features,
        item_features=item_features,
    )
    if count_duplicates:
        data.duplicates = duplicate_interactions(dataset, data.user, data.item, config["rm_dup_inter"])
        warn_duplicates(name, data.duplicates)
    dataset._change_feat_format()  # pandas -> Interaction, as RecBole's own build() does
    return data


def _features(dataset, attr: str, id_field: str) -> pd.DataFrame | None:
    """A feature table with token values (not RecBole's remapped ids), indexed by internal id."""
    feat = getattr(dataset, attr, None)
    if feat is None or len(feat.columns) <= 1:
        return None
    out = pd.DataFrame(index=feat[id_field].to_numpy())
    for col in feat.columns:
        if col == id_field:
            continue
        values = feat[col].to_numpy()
        tokens = dataset.field2id_token.get(col)
        if tokens is not None and values.dtype != object:
            out[col] = np.asarray(tokens)[values.astype(np.int64)]
        elif tokens is not None:  # token_seq: arrays of ids
            out[col] = [[tokens[v] for v in seq if v != 0] for seq in values]
        else:
            out[col] = values
    return out
