"""The temporal strike: participants stop contributing after a time; later interactions go."""
from __future__ import annotations

import numpy as np
import pandas as pd

from strikebench.errors import ConfigError
from strikebench.levers import fields
from strikebench.levers.rows import participant_rows
from strikebench.levers.state import LeverState


def parse_time(value, where: str) -> float:
    """Seconds since the epoch (the unit of RecBole's timestamp field) from a number or a date."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and value and value.strip().lower() not in ("now", "today"):  # reproducible only
        try:
            moment = pd.Timestamp(value)
        except (ValueError, TypeError):
            moment = None
        if moment is not None and moment is not pd.NaT:
            return (moment if moment.tz is not None else moment.tz_localize("UTC")).timestamp()
    raise ConfigError(f"{where}.after", f"need a timestamp (seconds) or a date like 1998-01-01, got {value!r}")


def check_time_ordered(split_cfg, where: str) -> None:
    """A temporal strike on a random-order split would cut test-era interactions into train."""
    if split_cfg is not None and split_cfg.get("order") != "TO":
        raise ConfigError("split.order", f"{where}: a temporal strike needs a time-ordered split, "
                          f"got {split_cfg.get('order')!r}", "TO")


class TemporalStrike:
    """Remove the participants' train and valid interactions later than ``after`` from ``company``."""

    name = "temporal_strike"
    where = "strike.lever"  # the config path, for errors; set by build_lever
    FIELDS = ("company", "after")

    def __init__(self, user: np.ndarray, timestamp: np.ndarray, after: float, company: str = "incumbent"):
        self.user, self.timestamp, self.after, self.company = user, timestamp, float(after), company

    @classmethod
    def params(cls, cfg, where: str, split_cfg=None) -> dict:
        fields.only_fields(cfg, cls.FIELDS, where)
        after = parse_time(cfg.get("after"), where)
        check_time_ordered(split_cfg, where)
        return {"after": after, "company": fields.text(cfg, "company", where)}

    @classmethod
    def from_config(cls, cfg, where: str, ctx) -> "TemporalStrike":
        p = cls.params(cfg, where, ctx.split_cfg)
        if ctx.data.timestamp is None:
            raise ConfigError("dataset.recbole.TIME_FIELD", f"{where}: a temporal strike needs timestamps, and "
                              f"dataset {ctx.data.name!r} has none", "load a timestamp column in dataset.recbole.load_col.inter")
        return cls(ctx.data.user, np.asarray(ctx.data.timestamp, dtype=np.float64), **p)

    def __call__(self, state: LeverState) -> LeverState:
        view = state.company(self.company, f"{self.where}.company")
        users = state.participants.users
        late_train = participant_rows(view.train, self.user, users)
        late_train = late_train[self.timestamp[late_train] > self.after]
        late_valid = participant_rows(view.valid, self.user, users)
        late_valid = late_valid[self.timestamp[late_valid] > self.after]
        return state.step(self.name, [view.without(np.concatenate([late_train, late_valid]))],
                          [("removed", "train", late_train), ("removed", "valid", late_valid)],
                          company=self.company, after=self.after)
