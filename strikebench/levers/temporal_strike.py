"""The temporal strike: participants stop contributing after a time; later interactions go."""
from __future__ import annotations

import numpy as np
import pandas as pd

from strikebench.errors import ConfigError
from strikebench.levers import fields
from strikebench.levers.base import Lever, Where
from strikebench.levers.rows import participant_rows
from strikebench.levers.state import Change, LeverState


def parse_time(value, field: str) -> float:
    """Seconds since the epoch (the unit of RecBole's timestamp field) from a number or a date;
    anything else is a ConfigError naming ``field``."""
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
    raise ConfigError(field, f"need a timestamp (seconds) or a date like 1998-01-01, got {value!r}")


def _moment(seconds: float) -> str:
    """``1998-01-01 00:00:00 UTC (883612800)``: a timestamp as a date and as the data holds it."""
    shown = int(seconds) if float(seconds).is_integer() else seconds
    try:
        date = pd.Timestamp(seconds, unit="s", tz="UTC").strftime("%Y-%m-%d %H:%M:%S UTC")
    except (ValueError, OverflowError):
        return str(shown)
    return f"{date} ({shown})"


def check_time_ordered(split_cfg, where: str) -> None:
    """A temporal strike on a random-order split would cut test-era interactions into train."""
    if split_cfg is not None and split_cfg.get("order") != "TO":
        raise ConfigError("split.order", f"{where}: a temporal strike needs a time-ordered split, "
                          f"got {split_cfg.get('order')!r}", "TO")


class TemporalStrike(Lever):
    """Remove the participants' train and valid interactions later than ``after`` from ``company``."""

    name = "temporal_strike"
    FIELDS = ("company", "after")

    def __init__(self, after, company: str = "incumbent", *, where: "str | Where | None" = None):
        super().__init__(where)
        self.after = parse_time(after, self.where.field("after"))
        self.company = fields.text(company, self.where.field("company"))

    @classmethod
    def from_config(cls, cfg, where: "str | Where | None" = None, ctx=None) -> "TemporalStrike":
        lever = super().from_config(cfg, where, ctx)
        check_time_ordered(getattr(ctx, "split_cfg", None), str(lever.where))
        return lever

    def _get_params(self, state: LeverState) -> dict:
        data = state.data
        if data.timestamp is None:
            raise ConfigError("dataset.recbole.TIME_FIELD", f"{self.where}: a temporal strike needs timestamps, and "
                              f"dataset {data.name!r} has none", "load a timestamp column in dataset.recbole.load_col.inter")
        timestamp = np.asarray(data.timestamp, dtype=np.float64)
        first, last = float(timestamp.min()), float(timestamp.max())
        if not first <= self.after < last:  # before the data: it deletes everything; at or after its end: nothing
            raise ConfigError(self.where.field("after"), f"{_moment(self.after)} is outside dataset {data.name!r}, "
                              f"whose interactions run from {_moment(first)} to {_moment(last)}",
                              "a time from the first interaction up to, not including, the last")
        return {"timestamp": timestamp}

    def _transform(self, state: LeverState, params: dict) -> LeverState:
        view = self.company_view(state)
        user, users, late = state.data.user, state.participants.users, params["timestamp"] > self.after
        late_train = participant_rows(view.train, user, users)
        late_train = late_train[late[late_train]]
        late_valid = participant_rows(view.valid, user, users)
        late_valid = late_valid[late[late_valid]]
        return state.step(self.name, [view.without(np.concatenate([late_train, late_valid]))],
                          [Change.removed("train", late_train), Change.removed("valid", late_valid)],
                          company=self.company, after=self.after)
