"""Check selector and lever parameters, raising ConfigError that names the config field at fault.

Each check takes a value and the field's full name (``strike.lever.share``); a selector or lever
runs them in its ``__init__`` (strikebench/levers/base.py). ``only_fields`` and ``name_of`` read
the config itself, for ``from_config``.
"""
from __future__ import annotations

import re

from omegaconf import DictConfig, ListConfig, OmegaConf

from strikebench.errors import ConfigError


def plain(node):
    return OmegaConf.to_container(node, resolve=True) if isinstance(node, (DictConfig, ListConfig)) else node


def name_of(cfg, key: str, where: str) -> str:
    """The field to name in an error: the one a user sets, when ``key`` just points at it
    (``base_share: ${strike.lever.base_share}`` in a composition names strike.lever.base_share)."""
    if isinstance(cfg, DictConfig) and key in cfg and OmegaConf.is_interpolation(cfg, key):
        match = re.fullmatch(r"\$\{([\w.]+)\}", str(cfg._get_node(key)._value()))
        if match:
            return match.group(1)
    return f"{where}.{key}"


def only_fields(cfg, allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(cfg.keys()) - set(allowed) - {"name"})
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}", f"not a field of {cfg.get('name')!r}",
                          ", ".join(("name",) + tuple(allowed)))


def number(value, field: str, low: float | None = None, high: float | None = None,
           optional: bool = False, integer: bool = False):
    if value is None and optional:
        return None
    kind = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
        raise ConfigError(field, f"must be {kind}, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        key = field.rsplit(".", 1)[-1]
        bounds = f"{'' if low is None else f'{low} <= '}{key}{'' if high is None else f' <= {high}'}"
        raise ConfigError(field, f"{value} is out of range", bounds)
    return value


def share(value, field: str) -> float:
    """A share in [0, 1]."""
    return float(number(value, field, 0.0, 1.0))


def text(value, field: str, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise ConfigError(field, f"must be a non-empty string, got {value!r}")
    return value


def choice(value, field: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigError(field, f"unknown value {value!r}", ", ".join(allowed))
    return value


def values(value, field: str, optional: bool = False) -> list[str] | None:
    """One value or a list of them, compared as tokens (strings)."""
    value = plain(value)
    if value is None and optional:
        return None
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    if not items or any(v is None or isinstance(v, (dict, list, bool)) or str(v) == "" for v in items):
        raise ConfigError(field, f"must be a value or a list of values, got {value!r}")
    return [str(v) for v in items]
