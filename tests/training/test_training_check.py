"""Each training rule is stated once: config validation and the training code give the same answer."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from strikebench.errors import ConfigError
from strikebench.training.check import check_split_for, check_trainer
from strikebench.training.fast.loader import unsupported_reason
from strikebench.training.models import has_gradient_step, is_sequential
from strikebench.training.recbole_config import recbole_config

FAST_CASES = {
    "bpr (pairwise, uniform)": (["model=bpr"], True),
    "neumf (pointwise, uniform)": (["model=neumf"], True),
    "multivae (user batches, no sampling)": (["model=multivae"], True),
    "pop (traditional)": (["model=pop"], True),
    "bpr, popularity sampling": (["model=bpr", "model.neg_sampling.distribution=popularity"], False),
    "bpr, dynamic sampling": (["model=bpr", "model.neg_sampling.dynamic=true", "model.neg_sampling.candidate_num=2"],
                              False),
    "listwise input with uniform sampling": (["model=multivae", "model.name=DiffRec",
                                              "model.neg_sampling={distribution: uniform}"], False),
    "gru4rec (sequential)": (["model=gru4rec", "split=sequential"], False),
}


@pytest.mark.parametrize("overrides,fast", FAST_CASES.values(), ids=list(FAST_CASES))
def test_the_fast_path_refuses_at_validation_exactly_what_it_refuses_at_training(compose_cfg, overrides, fast):
    cfg = compose_cfg([*overrides, "trainer.data_path=fast"])
    at_training = unsupported_reason(recbole_config(cfg, "ml-100k", "cpu"))
    assert (at_training is None) == fast, at_training
    if fast:
        check_trainer(cfg.trainer, cfg.model)
    else:
        with pytest.raises(ConfigError, match="trainer.data_path"):
            check_trainer(cfg.trainer, cfg.model)


def test_a_sequential_model_needs_a_time_ordered_split(compose_cfg):
    assert is_sequential("GRU4Rec") and not is_sequential("BPR")
    with pytest.raises(ConfigError, match=r"split\.order.*GRU4Rec is a sequential model.*'RO'"):
        check_split_for("GRU4Rec", compose_cfg([]).split)
    check_split_for("GRU4Rec", compose_cfg(["split=sequential"]).split)
    check_split_for("BPR", compose_cfg([]).split)  # any split for a general model


@pytest.mark.parametrize("name,gradient", [("Pop", False), ("ItemKNN", False), ("EASE", False), ("BPR", True),
                                           ("GRU4Rec", True)])
def test_models_without_a_gradient_step_are_recboles_traditional_ones(name, gradient):
    from strikebench.reporting.tolerances import DETERMINISTIC, TRAINED, model_kind

    assert has_gradient_step(name) == gradient
    assert model_kind(name) == (TRAINED if gradient else DETERMINISTIC)  # verify asks the same rule


def test_the_shipped_model_kinds_are_recboles():
    """training.models.SHIPPED_KINDS (read without importing RecBole) agrees with RecBole's classes,
    and covers every model conf/model ships."""
    from strikebench import compat
    from strikebench.config.paths import CONF_DIR
    from strikebench.training.models import SHIPPED_KINDS

    shipped = {yaml.safe_load(p.read_text())["name"] for p in Path(CONF_DIR, "model").glob("*.yaml")}
    assert shipped <= set(SHIPPED_KINDS)
    for name, (model_type, input_type) in SHIPPED_KINDS.items():
        cls = compat.model_class(name)
        assert (cls.type.name, getattr(getattr(cls, "input_type", None), "name", None)) == (model_type, input_type), name


# Every shipped model under trainer.data_path=auto (the default): the fast path where it
# reproduces RecBole's batches and negatives for a model trained by gradient steps.
SWITCHED_TO_FAST = {"bpr", "enmf", "lightgcn", "multidae", "multivae", "neumf", "ngcf", "recvae", "sgl"}


def test_auto_picks_the_fast_path_for_exactly_the_general_models_it_covers(compose_cfg):
    from strikebench.config.paths import config_options
    from strikebench.training.check import resolved_data_path

    for name in config_options("model"):
        sequential = ["split=sequential"] if name in ("bert4rec", "gru4rec", "sasrec") else []
        cfg = compose_cfg([f"model={name}", *sequential])
        assert cfg.trainer.data_path == "auto"
        expected = "fast" if name in SWITCHED_TO_FAST else "recbole"
        assert resolved_data_path(cfg.trainer, cfg.model) == expected, name
    bpr = compose_cfg(["model=bpr"])
    # Not under DDP (the fast path is untested there), not with popularity sampling, and an
    # explicit choice is kept.
    assert resolved_data_path(compose_cfg(["model=bpr", "trainer=ddp"]).trainer, bpr.model) == "recbole"
    popular = compose_cfg(["model=bpr", "model.neg_sampling.distribution=popularity"])
    assert resolved_data_path(popular.trainer, popular.model) == "recbole"
    assert resolved_data_path(compose_cfg(["model=bpr", "trainer.data_path=recbole"]).trainer, bpr.model) == "recbole"
    assert resolved_data_path({"monitor": "ndcg@10"}, bpr.model) == "recbole"  # written before the option


def test_the_cell_key_follows_the_path_a_cell_trains_on(compose_cfg):
    """``auto`` is keyed as the path it resolves to: a default cell shares its key with the same cell
    asked for by that path, and a model that keeps RecBole's loader keeps the key it always had."""
    from strikebench.app.cell import resolved_config
    from strikebench.results.keys import cell_key

    def key(*overrides):
        return cell_key(resolved_config(compose_cfg(list(overrides))))

    assert resolved_config(compose_cfg(["model=bpr"]))["trainer"]["data_path"] == "fast"
    assert key("model=bpr") == key("model=bpr", "trainer.data_path=fast")
    assert key("model=bpr") != key("model=bpr", "trainer.data_path=recbole")
    assert key("model=pop") == key("model=pop", "trainer.data_path=recbole")
    before_the_option = resolved_config(compose_cfg(["model=pop"]))
    del before_the_option["trainer"]["data_path"]
    assert cell_key(before_the_option) == key("model=pop")
    unknown = resolved_config(compose_cfg(["model=bpr", "model.name=NoSuchModel"]))
    assert unknown["trainer"]["data_path"] == "auto"  # left for validation, which names model.name
