"""Every option of every config group composes, carries its own values, and passes validation.

Validation (strikebench.app.validate) reads no data, so every dataset option is validated too,
downloaded or not. Options that need a companion to make a valid cell get it (a sequential model
needs split=sequential, a temporal strike a time-ordered split). Experiments are sweeps: each is
expanded into its cells, and enough of them are validated that every swept value is checked.
"""
from __future__ import annotations

import copy
import math

import pytest
import yaml
from hydra import compose
from hydra.utils import get_class
from omegaconf import OmegaConf

from strikebench.app import sweep
from strikebench.app.validate import validate
from strikebench.config.paths import CONF_DIR, config_context, config_options

GROUPS = ("dataset", "model", "strike", "strike/selector", "strike/lever", "trainer", "logger", "split",
          "callbacks", "experiment", "hydra/launcher", "hydra/job_logging", "hydra/sweeper")
HYDRA_GROUPS = ("hydra/launcher", "hydra/job_logging", "hydra/sweeper")  # composed with Hydra's own config
OPTIONS = [(group, option) for group in GROUPS for option in config_options(group)]


def own_values(group: str, option: str) -> dict:
    """The option's own keys and values (its ``defaults`` list aside)."""
    values = yaml.safe_load((CONF_DIR / group / f"{option}.yaml").read_text()) or {}
    values.pop("defaults", None)
    return values


def with_tiny_preset(model: str) -> dict:
    """A model option's values with its trainer=tiny preset (conf/model/per_trainer/tiny/) merged in."""
    values = own_values("model", model)
    preset = CONF_DIR / "model" / "per_trainer" / "tiny" / f"{model}.yaml"
    for key, value in (yaml.safe_load(preset.read_text()) if preset.exists() else {}).items():
        values[key] = {**values[key], **value} if isinstance(value, dict) else value
    return values


def companions(group: str, option: str) -> list[str]:
    """What the option needs beside it to be a valid cell."""
    if group == "model" and own_values(group, option)["family"] == "sequential":
        return ["split=sequential"]
    if (group, option) == ("strike/lever", "temporal_strike"):
        return ["split.order=TO"]
    return []


def node_of(cfg, group: str):
    return OmegaConf.select(cfg, group.replace("/", "."))


def test_every_group_has_options_and_the_list_is_complete():
    assert all(config_options(group) for group in GROUPS)
    on_disk = {str(p.parent.relative_to(CONF_DIR)) for p in CONF_DIR.rglob("*.yaml")} - {"."}
    # model/per_trainer/<trainer> holds presets merged into a model option, not options of their own
    assert on_disk - set(GROUPS) == {"analysis", "model/per_trainer/tiny"}


@pytest.mark.parametrize("group,option", [o for o in OPTIONS if o[0] != "experiment" and o[0] not in HYDRA_GROUPS],
                         ids=lambda v: v)
def test_the_option_composes_with_its_values_and_validates(compose_cfg, group, option):
    # Models are composed with trainer=tiny, so that their tiny presets are checked too.
    tiny = ["trainer=tiny"] if group == "model" else []
    cfg = compose_cfg([f"{group}={option}", *tiny, *companions(group, option)])
    composed = OmegaConf.to_container(node_of(cfg, group), resolve=False)
    expected = with_tiny_preset(option) if group == "model" else own_values(group, option)
    for key, value in expected.items():
        assert composed[key] == value, f"{group}={option}: {key}"
    validate(cfg)


@pytest.mark.parametrize("group,option", [o for o in OPTIONS if o[0] in HYDRA_GROUPS], ids=lambda v: v)
def test_every_hydra_option_composes_with_its_values(group, option):
    with config_context():
        cfg = compose("config", overrides=[f"{group}={option}"], return_hydra_config=True)
    node = OmegaConf.to_container(node_of(cfg, group), resolve=False)
    for key, value in own_values(group, option).items():
        assert node[key] == value, f"{group}={option}: {key}"
    if "_target_" in node:
        assert get_class(node["_target_"])  # the launcher, the sweeper: importable


@pytest.mark.parametrize("launcher", config_options("hydra/launcher"))
def test_every_launcher_composes_to_an_importable_submitit_launcher(launcher):
    with config_context():
        cfg = compose("config", overrides=[f"hydra/launcher={launcher}"], return_hydra_config=True)
    node = cfg.hydra.launcher
    for key, value in own_values("hydra/launcher", launcher).items():
        assert OmegaConf.to_container(node, resolve=False)[key] == value, key
    assert "submitit" in node._target_ and get_class(node._target_)
    info = sweep.launcher([f"hydra/launcher={launcher}"])
    assert sweep.runs_on_slurm(info) == launcher.startswith("slurm")
    assert info["tasks_per_node"] in (None, 1)  # one task per device; trainer=default has one


@pytest.mark.parametrize("experiment", config_options("experiment"))
def test_every_experiment_expands_to_a_full_grid_of_valid_cells(compose_cfg, experiment):
    with config_context():
        swept = set(compose("config", overrides=[f"experiment={experiment}"], return_hydra_config=True)
                    .hydra.sweeper.params)
    cells = [dict(o.split("=", 1) for o in cell) for cell in sweep.expand([f"experiment={experiment}"])]
    assert all(swept <= set(cell) for cell in cells)
    values = {key: {cell[key] for cell in cells} for key in swept}
    assert len(cells) == len({tuple(cell[k] for k in sorted(swept)) for cell in cells}) == math.prod(map(len, values.values()))
    # Every swept value validated once, in the first cell with the others unchanged; a config
    # group's value is composed, a plain value set on the composed cell (compose is slow).
    first = cells[0]
    composed = compose_cfg([f"experiment={experiment}", *(f"{k}={v}" for k, v in first.items())])
    validate(composed)
    for key, value in sorted((k, v) for k, vs in values.items() for v in vs if v != first[k]):
        if (CONF_DIR / key).is_dir():  # a config group (model, strike/selector, ...)
            validate(compose_cfg([f"experiment={experiment}", *(f"{k}={v}" for k, v in {**first, key: value}.items())]))
        else:
            cell = copy.deepcopy(composed)
            OmegaConf.update(cell, key, yaml.safe_load(value))
            validate(cell)
