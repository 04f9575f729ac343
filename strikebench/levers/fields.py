"""Read selector and lever config fields, raising ConfigError that names the field at fault."""
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


def number(cfg, key: str, where: str, low: float | None = None, high: float | None = None,
           optional: bool = False, integer: bool = False):
    value = cfg.get(key)
    if value is None and optional:
        return None
    kind = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
        raise ConfigError(name_of(cfg, key, where), f"must be {kind}, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"{'' if low is None else f'{low} <= '}{key}{'' if high is None else f' <= {high}'}"
        raise ConfigError(name_of(cfg, key, where), f"{value} is out of range", bounds)
    return value


def share(cfg, key: str, where: str):
    """A share in [0, 1]."""
    return float(number(cfg, key, where, 0.0, 1.0))


def text(cfg, key: str, where: str, optional: bool = False) -> str | None:
    value = cfg.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise ConfigError(name_of(cfg, key, where), f"must be a non-empty string, got {value!r}")
    return value


def choice(cfg, key: str, where: str, allowed: tuple[str, ...]) -> str:
    value = cfg.get(key)
    if value not in allowed:
        raise ConfigError(name_of(cfg, key, where), f"unknown value {value!r}", ", ".join(allowed))
    return value


def values(cfg, key: str, where: str, optional: bool = False) -> list[str] | None:
    """One value or a list of them, compared as tokens (strings)."""
    value = plain(cfg.get(key))
    if value is None and optional:
        return None
    items = value if isinstance(value, list) else [value]
    if not items or any(v is None or isinstance(v, (dict, list, bool)) or str(v) == "" for v in items):
        raise ConfigError(name_of(cfg, key, where), f"must be a value or a list of values, got {value!r}")
    return [str(v) for v in items]
