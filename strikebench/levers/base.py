"""The protocol every selector and lever follows, after torchvision's transforms v2 ``Transform``.

1. ``__init__`` takes the parameters, as a config holds them, and ``where`` (the config path);
   it validates each parameter and raises ConfigError naming the field (``strike.lever.share``).
   So building one from a config is the whole check before any data is loaded.
2. ``FIELDS`` declares the config fields besides ``name``; the default ``from_config(cfg, where,
   ctx)`` refuses any other field and passes each declared one to ``__init__``. Override it
   only to check something outside the object's own fields (the temporal strike checks that the
   split is time-ordered, ``ctx.split_cfg``).
3. Calling the object does the data-dependent part: ``_get_params`` (what it needs from the
   data: a category's items, each user's rows) and then ``_transform(state, params)`` (a lever:
   the new :class:`~strikebench.levers.state.LeverState`) or ``_select(data, split, params)``
   (a selector: the :class:`Group` who may act).
4. A lever changes companies only through ``state.step(...)`` with
   :class:`~strikebench.levers.state.Change` records, and draws randomness only from
   ``strikebench.levers.streams`` with ``state.seed``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np

from strikebench.levers import fields


@dataclass(frozen=True)
class Where:
    """The config path of a selector or lever, for its error messages.

    ``where.field("share")`` is ``strike.lever.share``, or the field a value points at: in a
    composition, ``base_share: ${strike.lever.base_share}`` names strike.lever.base_share.
    """

    path: str
    aliases: tuple[tuple[str, str], ...] = ()

    def field(self, key: str) -> str:
        return dict(self.aliases).get(key, f"{self.path}.{key}")

    def __str__(self) -> str:
        return self.path

    @classmethod
    def of(cls, where: "str | Where") -> "Where":
        return where if isinstance(where, Where) else cls(str(where))

    @classmethod
    def in_config(cls, cfg, where: "str | Where") -> "Where":
        """``where`` with the interpolated fields of ``cfg`` named by what they point at."""
        path = str(where)
        aliases = tuple((str(key), fields.name_of(cfg, str(key), path)) for key in cfg.keys())
        return cls(path, tuple((key, name) for key, name in aliases if name != f"{path}.{key}"))


class Group(NamedTuple):
    """What a selector returns: who may act."""

    users: np.ndarray  # internal user ids, sorted
    name: str  # e.g. "gender=F": written with the result


class Configurable:
    """What selectors and levers share: declared fields, ``where``, and ``from_config``."""

    name: ClassVar[str] = ""  # the config ``name`` (and a lever's label in the record)
    FIELDS: ClassVar[tuple[str, ...]] = ()  # config fields besides ``name``, as __init__ names them
    DEFAULT_WHERE: ClassVar[str] = ""

    def __init__(self, where: "str | Where | None" = None):
        self.where = Where.of(where or self.DEFAULT_WHERE)

    @classmethod
    def from_config(cls, cfg, where: "str | Where | None" = None, ctx=None):
        """Build from a config node: every declared field is passed (None when absent), so a
        missing field fails like a bad one, naming itself."""
        where = Where.in_config(cfg, where or cls.DEFAULT_WHERE)
        fields.only_fields(cfg, cls.FIELDS, where.path)
        return cls(**{key: fields.plain(cfg.get(key)) for key in cls.FIELDS}, where=where)

    def __repr__(self) -> str:
        settings = ", ".join(f"{key}={getattr(self, key, None)!r}" for key in self.FIELDS)
        return f"{type(self).__name__}({settings})"


class Lever(Configurable):
    """What participants do to the data: ``lever(state) -> state``, for one company at a time."""

    DEFAULT_WHERE = "strike.lever"

    def __call__(self, state):
        return self._transform(state, self._get_params(state))

    def _get_params(self, state) -> dict:
        """What the lever needs from the data (``state.data``), computed once per call."""
        return {}

    def _transform(self, state, params: dict):
        """The new state: call ``state.step(self.name, views, changes, company=..., **details)``."""
        raise NotImplementedError

    def company_view(self, state, key: str = "company"):
        """The view of the company named by the field ``key``; an unknown company names that field."""
        return state.company(getattr(self, key), self.where.field(key))


class Selector(Configurable):
    """Who may act: ``selector(data, split) -> Group``, from the training side of the split only
    (``split.train`` and ``split.valid``, never ``split.test``)."""

    DEFAULT_WHERE = "strike.selector"

    def __call__(self, data, split) -> Group:
        return self._select(data, split, self._get_params(data, split))

    def _get_params(self, data, split) -> dict:
        """What the selector needs from the data (a feature column, a category's items)."""
        return {}

    def _select(self, data, split, params: dict) -> Group:
        raise NotImplementedError
