"""Turn strikebench config and a company's view into RecBole's Config, Dataset and loaders."""
from __future__ import annotations

import numpy as np
import torch

from strikebench import compat
from strikebench.data.interactions import InteractionData


def recbole_config_dict(cfg, device: str) -> dict:
    """Everything RecBole needs to know, from the strikebench config of one cell."""
    model = cfg.model
    settings = dict(_plain(cfg.dataset.recbole))
    settings.update(_plain(model.get("params") or {}))
    settings.update(
        seed=int(cfg.seed),
        reproducibility=True,
        device=device,
        use_gpu=device.startswith("cuda"),
        show_progress=False,
        learning_rate=float(model.learning_rate),
        weight_decay=float(model.get("weight_decay") or 0.0),
        train_batch_size=int(model.train_batch_size),
        train_neg_sample_args=_plain(model.get("neg_sampling")),
        metric_decimal_place=10,
        checkpoint_dir=str(cfg.get("work_dir", "checkpoints")),
        log_wandb=False,
        worker=0,
    )
    return settings


def _plain(node):
    from omegaconf import OmegaConf

    if node is None:
        return None
    if OmegaConf.is_config(node):
        return OmegaConf.to_container(node, resolve=True)
    return node


def company_dataset(data: InteractionData, rows: np.ndarray):
    """A RecBole Dataset holding only ``rows``: same users, items and id maps as the full one."""
    dataset = data.recbole_dataset
    return dataset.copy(dataset.inter_feat[torch.as_tensor(rows, dtype=torch.long)])


def train_loader(config, data: InteractionData, train_rows, valid_rows, test_rows):
    """RecBole's own training loader and negative sampler, built on the company's data.

    The sampler sees the company's train data in its train phase, as data_preparation does,
    so negatives exclude the user's training items exactly where RecBole excludes them.
    """
    from recbole.data.utils import create_samplers, get_dataloader

    built = [company_dataset(data, r) for r in (train_rows, valid_rows, test_rows)]
    train_sampler, _, _ = create_samplers(config, data.recbole_dataset, built)
    loader = get_dataloader(config, "train")(config, built[0], train_sampler, shuffle=config["shuffle"])
    return built[0], loader


def build_model(model_name: str, config, train_dataset):
    from recbole.utils import get_model

    return get_model(model_name)(config, train_dataset).to(config["device"])


def is_traditional(model) -> bool:
    """Models with no gradient step (Pop, ItemKNN, EASE, ...): one pass over the data, no early stopping."""
    from recbole.utils import ModelType

    return model.type == ModelType.TRADITIONAL


def score_function(model, user_field: str):
    """User ids -> full-ranking scores [B, n_items] from a RecBole general recommender."""
    from recbole.data.interaction import Interaction

    def score(users: torch.Tensor) -> torch.Tensor:
        batch = Interaction({user_field: users.to(model.device)})
        return model.full_sort_predict(batch).view(len(users), -1)

    return score
