"""Which RecBole model a config names, what kind it is, and building it on a company's data."""
from __future__ import annotations

from strikebench import compat

# RecBole's (ModelType, InputType) names of the models conf/model ships: the pre-sweep check and
# `plan` learn a model's kind without importing RecBole (tests/training/test_training_check.py compares
# this table with RecBole's classes). Other models are asked of their class.
SHIPPED_KINDS = {
    "ADMMSLIM": ("TRADITIONAL", "POINTWISE"), "AsymKNN": ("TRADITIONAL", "POINTWISE"),
    "BERT4Rec": ("SEQUENTIAL", None), "BPR": ("GENERAL", "PAIRWISE"), "EASE": ("TRADITIONAL", "POINTWISE"),
    "ENMF": ("GENERAL", "POINTWISE"), "GRU4Rec": ("SEQUENTIAL", None), "ItemKNN": ("TRADITIONAL", "POINTWISE"),
    "LightGCN": ("GENERAL", "PAIRWISE"), "MultiDAE": ("GENERAL", "PAIRWISE"), "MultiVAE": ("GENERAL", "PAIRWISE"),
    "NeuMF": ("GENERAL", "POINTWISE"), "NGCF": ("GENERAL", "PAIRWISE"), "Pop": ("TRADITIONAL", "POINTWISE"),
    "Random": ("TRADITIONAL", "POINTWISE"), "RecVAE": ("GENERAL", "PAIRWISE"), "SASRec": ("SEQUENTIAL", None),
    "SGL": ("GENERAL", "PAIRWISE"),
}


def model_kind(model_name: str) -> tuple[str | None, str | None]:
    """(ModelType name, InputType name) of a model, e.g. ("GENERAL", "PAIRWISE")."""
    if model_name in SHIPPED_KINDS:
        return SHIPPED_KINDS[model_name]
    cls = model_class(model_name)
    return getattr(getattr(cls, "type", None), "name", None), getattr(getattr(cls, "input_type", None), "name", None)


def model_class(model_name: str):
    """A RecBole model name or the dotted path of a custom RecBole-style class (compat.model_class)."""
    return compat.model_class(model_name)


def is_sequential(model_name: str) -> bool:
    return model_kind(model_name)[0] == "SEQUENTIAL"


def has_gradient_step(model_name: str) -> bool:
    """False for RecBole's TRADITIONAL models (Pop, ItemKNN, EASE, ...): they fit in one pass over
    the data, without early stopping, and give the same model on every run."""
    return model_kind(model_name)[0] != "TRADITIONAL"


def build_model(model_name: str, config, train_dataset):
    return model_class(model_name)(config, train_dataset).to(config["device"])
