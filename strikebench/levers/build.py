"""Build the selector and levers of a cell from its config, and apply them to the fixed split.

Selectors and levers are looked up by ``name`` in the registries below; a name of the form
``package.module:Class`` imports a class of your own (docs/levers.md), a subclass of
``strikebench.levers.base.Selector`` or ``Lever``. A lever config with a ``levers`` list is a
composition, applied in order; its ``name`` is then just its label. Building needs no data, so
building is also the whole check of a config before any data is loaded.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

from omegaconf import DictConfig, ListConfig

from strikebench.data.interactions import InteractionData
from strikebench.data.split import FixedSplit
from strikebench.errors import ConfigError, DataError
from strikebench.levers.base import Lever, Selector
from strikebench.levers.compose import Compose
from strikebench.levers.participants import check_participation, draw_participants
from strikebench.levers.partial_strike import PartialStrike
from strikebench.levers.poison import Poison
from strikebench.levers.selectors import ActivitySelector, AttributeSelector, FansSelector, RandomSelector
from strikebench.levers.state import LeverState, initial_state
from strikebench.levers.strike import Strike
from strikebench.levers.temporal_strike import TemporalStrike
from strikebench.levers.transfer import Competitor, Transfer

SELECTOR_CLASSES = {c.name: c for c in (RandomSelector, AttributeSelector, FansSelector, ActivitySelector)}
LEVER_CLASSES = {c.name: c for c in (Strike, PartialStrike, TemporalStrike, Poison, Competitor, Transfer)}
SELECTORS = tuple(SELECTOR_CLASSES)
LEVERS = tuple(LEVER_CLASSES)


@dataclass(frozen=True)
class BuildContext:
    """What a lever may be built from besides its own config: the split config (a temporal
    strike needs a time-ordered split). The data comes later, in the state a lever is called on."""

    split_cfg: object = None


def _lookup(name, registry: dict, where: str, kind: str, base: type):
    if isinstance(name, str) and ":" in name:  # package.module:Class, a selector or lever of your own
        module, _, attr = name.partition(":")
        try:
            cls = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"{where}.name", f"cannot import {kind} {name!r}: {exc}") from None
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise ConfigError(f"{where}.name", f"{name!r} is not a {kind}: subclass "
                              f"strikebench.levers.base.{base.__name__} (docs/levers.md)")
        return cls
    if name not in registry:
        raise ConfigError(f"{where}.name", f"unknown {kind} {name!r}", ", ".join(registry) + ", or package.module:Class")
    return registry[name]


def build_selector(selector_cfg, where: str = "strike.selector") -> Selector:
    if not isinstance(selector_cfg, (DictConfig, dict)):
        raise ConfigError(where, f"must be a selector config, got {selector_cfg!r}")
    return _lookup(selector_cfg.get("name"), SELECTOR_CLASSES, where, "selector", Selector).from_config(selector_cfg, where)


def is_composition(lever_cfg) -> bool:
    return isinstance(lever_cfg, (DictConfig, dict)) and lever_cfg.get("levers") is not None


def _parts(lever_cfg, where: str):
    if not isinstance(lever_cfg, (DictConfig, dict)):
        raise ConfigError(where, f"must be a lever config, got {lever_cfg!r}")
    name = lever_cfg.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{where}.name", f"must be a non-empty string, got {name!r}")
    if not is_composition(lever_cfg):
        return None
    parts = lever_cfg.get("levers")
    if not isinstance(parts, (ListConfig, list)) or len(parts) == 0:
        raise ConfigError(f"{where}.levers", f"must be a non-empty list of lever configs, got {parts!r}")
    return [(part, f"{where}.levers.{i}") for i, part in enumerate(parts)]


def build_lever(lever_cfg, ctx: BuildContext | None = None, where: str = "strike.lever") -> Lever:
    """The lever a config describes, validated; a config with a ``levers`` list is a Compose."""
    ctx = ctx or BuildContext()
    parts = _parts(lever_cfg, where)
    if parts is not None:
        return Compose([build_lever(part, ctx, at) for part, at in parts], name=lever_cfg.name, where=where)
    return _lookup(lever_cfg.get("name"), LEVER_CLASSES, where, "lever", Lever).from_config(lever_cfg, where, ctx)


def check_strike_config(strike_cfg, split_cfg=None) -> None:
    """Everything about ``strike`` that can be checked before any data is loaded: the
    participation, then the selector and the lever (building them is their whole check)."""
    check_participation(strike_cfg.get("participation"))
    build_selector(strike_cfg.get("selector"))
    build_lever(strike_cfg.get("lever"), BuildContext(split_cfg))


def apply_strike_config(strike_cfg, seed: int, data: InteractionData, split: FixedSplit, split_cfg=None) -> LeverState:
    """Participants drawn and levers applied: what each company holds in this cell."""
    participation = check_participation(strike_cfg.participation)
    group = build_selector(strike_cfg.selector)(data, split)
    if len(group.users) == 0:
        raise DataError(f"strike.selector: the group {group.name!r} has no members on the training side of the split")
    participants = draw_participants(group.users, participation, seed, group.name)
    lever = build_lever(strike_cfg.lever, BuildContext(split_cfg))
    state = lever(initial_state(data, split, participants))
    incumbent = state.companies["incumbent"]
    # docs/design.md rule 8; another company with no data is recorded as not applicable
    if not incumbent.holds_data:
        raise DataError(
            f"strike.participation={strike_cfg.participation}: the incumbent would hold no training data "
            f"at all; use a participation below 1 or a group that leaves some users"
        )
    return state
