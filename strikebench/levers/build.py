"""Build the selector and levers of a cell from its config, and apply them to the fixed split."""
from __future__ import annotations

import numpy as np

from strikebench.data.interactions import InteractionData
from strikebench.data.split import FixedSplit
from strikebench.errors import ConfigError, DataError
from strikebench.levers.participants import Participants, draw_participants
from strikebench.levers.state import LeverState, initial_state
from strikebench.levers.strike import Compose, Strike

SELECTORS = ("random",)
LEVERS = ("strike",)


def select_group(selector_cfg, data: InteractionData, split: FixedSplit) -> tuple[np.ndarray, str]:
    """The users eligible to act, decided from the training side only (train + valid)."""
    name = selector_cfg.name
    if name == "random":
        return split.eligible_users(data.user), "all users"
    raise ConfigError("strike.selector.name", f"unknown selector {name!r}", ", ".join(SELECTORS))


def build_lever(lever_cfg, data: InteractionData):
    name = lever_cfg.name
    if name == "strike":
        return Strike(data.user, company=lever_cfg.get("company", "incumbent"))
    raise ConfigError("strike.lever.name", f"unknown lever {name!r}", ", ".join(LEVERS))


def apply_strike_config(strike_cfg, seed: int, data: InteractionData, split: FixedSplit) -> LeverState:
    """Participants drawn and levers applied: what each company holds in this cell."""
    group, group_name = select_group(strike_cfg.selector, data, split)
    if len(group) == 0:
        raise DataError(f"strike.selector: the group {group_name!r} has no members")
    participants: Participants = draw_participants(group, float(strike_cfg.participation), seed, group_name)
    state = Compose([build_lever(strike_cfg.lever, data)])(initial_state(split, participants))
    for company in state.companies.values():
        if len(company.train) == 0:
            raise DataError(
                f"strike.participation={strike_cfg.participation}: the {company.name} would hold no "
                f"training data at all; use a participation below 1 or a group that leaves some users"
            )
    return state
