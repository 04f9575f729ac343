"""Which RecBole model a config names, what kind it is, and building it on a company's data."""
from __future__ import annotations

from strikebench import compat


def model_class(model_name: str):
    """A RecBole model name or the dotted path of a custom RecBole-style class (compat.model_class)."""
    return compat.model_class(model_name)


def is_sequential(model_name: str) -> bool:
    return compat.model_type(model_name) == "SEQUENTIAL"


def has_gradient_step(model_name: str) -> bool:
    """False for RecBole's TRADITIONAL models (Pop, ItemKNN, EASE, ...): they fit in one pass over
    the data, without early stopping, and give the same model on every run."""
    return compat.model_type(model_name) != "TRADITIONAL"


def build_model(model_name: str, config, train_dataset):
    return model_class(model_name)(config, train_dataset).to(config["device"])
