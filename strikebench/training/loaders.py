"""A company's training loader: the fast on-device path (the default where it applies) or RecBole's own."""
from __future__ import annotations

from strikebench.data.interactions import InteractionData
from strikebench.errors import ConfigError
from strikebench.training.check import DATA_PATHS, resolved_data_path
from strikebench.training.company_data import company_dataset
from strikebench.training.sequences import sequential_dataset


def train_loader(config, data: InteractionData, train_rows, valid_rows, test_rows, sequential: bool = False):
    """RecBole's own training loader and negative sampler, built on the company's data.

    The sampler sees the company's train data in its train phase, as data_preparation does,
    so negatives exclude the user's training items exactly where RecBole excludes them.
    Sequential models train on the augmented sequences of the company's training rows.
    """
    from recbole.data.utils import create_samplers, get_dataloader

    built = [company_dataset(data, r) for r in (train_rows, valid_rows, test_rows)]
    train_sampler, _, _ = create_samplers(config, data.recbole_dataset, built)
    train_dataset = sequential_dataset(config, data, train_rows) if sequential else built[0]
    loader = get_dataloader(config, "train")(config, train_dataset, train_sampler, shuffle=config["shuffle"])
    return train_dataset, loader


def company_train_loader(cfg, config, data: InteractionData, train_rows, valid_rows, test_rows, sequential: bool):
    """(train dataset, loader, data path) on the path ``trainer.data_path`` resolves to
    (``check.resolved_data_path``: ``auto`` is ``fast`` wherever the fast path applies)."""
    data_path = resolved_data_path(cfg.trainer, cfg.model)
    if data_path == "recbole":
        return (*train_loader(config, data, train_rows, valid_rows, test_rows, sequential), data_path)
    from strikebench.training.fast import company as fast_data
    from strikebench.training.fast.loader import unsupported_reason

    reason = unsupported_reason(config)  # validation asked the same rule before anything was loaded
    if data_path != "fast" or reason:
        raise ConfigError("trainer.data_path", f"{data_path!r} cannot train {cfg.model.name}: {reason}"
                          if data_path == "fast" else f"unknown data path {data_path!r}", ", ".join(DATA_PATHS))
    return (*fast_data.train_loader(config, data, train_rows, valid_rows, test_rows, sequential), data_path)
