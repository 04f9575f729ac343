"""The fast data path for one company: a drop-in for ``loaders.train_loader``."""
from __future__ import annotations

import numpy as np

from strikebench.training.company_data import company_dataset
from strikebench.training.fast.loader import batch_mode, fast_train_loader


def train_loader(config, data, train_rows, valid_rows=None, test_rows=None, sequential: bool = False,
                 method: str = "rank"):
    """(train dataset, loader) for the company's training rows, as ``loaders.train_loader`` returns.

    The dataset is the same RecBole Dataset copy the RecBole path builds (models read their
    sizes, graphs and histories from it); only the loader differs. ``valid_rows`` and
    ``test_rows`` are accepted for the same signature and not needed: RecBole's train-phase
    sampler excludes training items only.
    """
    if sequential:
        raise ValueError("the fast data path does not cover sequential models; use trainer.data_path=recbole")
    rows = np.asarray(train_rows, dtype=np.int64)
    dataset = company_dataset(data, rows)
    loader = fast_train_loader(config, data.user[rows], data.item[rows], data.n_users, data.n_items, method=method)
    _declare_sampled_fields(config, dataset)
    return dataset, loader


def _declare_sampled_fields(config, dataset) -> None:
    """The field properties RecBole's TrainDataLoader adds to its dataset (neg_ items, label)."""
    from recbole.utils import FeatureSource, FeatureType

    mode, _ = batch_mode(config)
    if mode == "pointwise":
        dataset.set_field_property(config["LABEL_FIELD"], FeatureType.FLOAT, FeatureSource.INTERACTION, 1)
    elif mode == "pairwise":
        columns = [dataset.iid_field] if dataset.item_feat is None else dataset.item_feat.columns
        for column in columns:
            dataset.copy_field_property(config["NEG_PREFIX"] + column, column)
