"""Numbers for people: estimates with their CI, and the reason where a measure is undefined."""
from __future__ import annotations

import math

MISSING = "—"


def is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value, digits: int = 3) -> str:
    return MISSING if is_missing(value) else f"{value:.{digits}f}"


def estimate(value, low=None, high=None, reason: str | None = None, digits: int = 3) -> str:
    """``0.464 [0.427, 0.501]``; ``0.464`` without a CI (one seed); ``— (reason)`` if undefined."""
    if is_missing(value):
        return f"{MISSING} ({reason})" if reason else MISSING
    text = f"{value:.{digits}f}"
    if not is_missing(low) and not is_missing(high):
        text += f" [{low:.{digits}f}, {high:.{digits}f}]"
    return text


def percent(value, digits: int = 1) -> str:
    return MISSING if is_missing(value) else f"{100 * value:+.{digits}f}%"


def participation(p) -> str:
    """p as a share of users, e.g. ``0.3`` or ``0.0001``."""
    return MISSING if is_missing(p) else f"{p:g}"


def pvalue(p) -> str:
    if is_missing(p):
        return MISSING
    return "<0.001" if p < 1e-3 else f"{p:.3f}"


NEVER_REACHED = "never reached"


def not_reached(reason: str, p_max=None) -> str:
    """A threshold's reason as a reader needs it: "never reached" says within which range,
    e.g. ``not reached within p ≤ 0.3`` (the largest measured participation)."""
    if reason == NEVER_REACHED and not is_missing(p_max):
        return f"not reached within p ≤ {p_max:g}"
    return reason
