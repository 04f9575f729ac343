"""Check a cell's config before anything is loaded or trained, naming the field at fault.

Each stage owns the checks of its own section, beside its code; this only calls them, in
order, so that one rule lives in one place. It sits in the app layer because it asks every stage.
"""
from __future__ import annotations

from strikebench.app.lightning_parts import check_lightning_parts
from strikebench.config.paths import config_options
from strikebench.data.split import SEED_MAX, check_seed, validate_split_config
from strikebench.datasets.registry import check_source
from strikebench.errors import ConfigError
from strikebench.evaluation.check import check_eval
from strikebench.extras import require
from strikebench.levers.build import check_strike_config
from strikebench.levers.participants import check_participation
from strikebench.results.atomic import check_writable
from strikebench.training.check import check_model, check_trainer

SECTIONS = ("strike", "model", "split", "dataset", "eval", "trainer")


def validate(cfg) -> None:
    for key in (*SECTIONS, "seed"):  # a key deleted on the command line (``~seed``)
        if key not in cfg:
            raise ConfigError(key, "missing from the config (deleted with ~?)",
                              f"0 <= seed <= {SEED_MAX}" if key == "seed" else f"a config of the {key} group")
    check_participation(cfg.strike.get("participation"))  # first, as it always was
    check_model(cfg.model, cfg.split, config_options("model"))
    check_strike_config(cfg.strike, cfg.split)  # selector and lever fields, before any data is loaded
    check_source(cfg.dataset)
    validate_split_config(cfg.split)
    check_eval(cfg.eval, cfg.trainer.monitor, bool(cfg.dataset.get("has_ratings", True)))
    check_seed(cfg.seed, "seed")  # the participant draw and model initialisation
    check_trainer(cfg.trainer, cfg.model)
    for folder in ("results_dir", "work_dir"):  # a read-only or missing disk, before any training
        check_writable(cfg.get(folder), folder)
    if cfg.get("logger") is not None and cfg.logger.get("name") == "wandb":
        require("wandb", "logger=wandb")
    check_lightning_parts(cfg)  # callbacks and logger from their _target_
