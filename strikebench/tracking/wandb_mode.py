"""Which mode a W&B run starts in, and starting it so that W&B can never break a cell.

``logger.mode``: ``online`` and ``offline`` are taken as asked; ``auto`` follows ``WANDB_MODE``
when it is set, else goes online when an API key is configured. An online run needs its server:
it is asked once (a few seconds at most) before the run starts, and if it cannot be reached, or the
run does not start online, the run is written offline instead with a one-line warning. If W&B
cannot start at all, :func:`open_run` says why instead of raising.

The API key is read by wandb itself from WANDB_API_KEY or ~/.netrc; strikebench only checks
whether one is configured and never prints or stores it (messages are scrubbed of it).
"""
from __future__ import annotations

import logging
import netrc
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from strikebench.errors import ConfigError

log = logging.getLogger(__name__)

MODES = ("auto", "online", "offline")
DEFAULT_SERVER = "https://api.wandb.ai"
PROBE_SECONDS = 4.0  # how long the server may take to answer before the run goes offline
ENV_MODES = {"online": "online", "run": "online", "offline": "offline", "dryrun": "offline",
             "disabled": "disabled"}


@dataclass(frozen=True)
class OpenedRun:
    """A started run (None if W&B could not start), its mode and, if not as asked, why."""

    run: object | None
    mode: str  # online | offline | disabled | failed
    note: str | None = None


def server_url() -> str:
    return os.environ.get("WANDB_BASE_URL") or DEFAULT_SERVER


def api_key_configured(url: str | None = None) -> bool:
    """Whether wandb will find a key: WANDB_API_KEY, or a ~/.netrc entry for the server's host."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    host = urlparse(url or server_url()).hostname
    try:
        return netrc.netrc(os.environ.get("NETRC", Path.home() / ".netrc")).authenticators(host) is not None
    except (OSError, netrc.NetrcParseError):
        return False


def resolve_mode(mode: str) -> str:
    """The mode ``logger.mode`` asks for, before the server is asked: online, offline or disabled."""
    if mode not in MODES:
        raise ConfigError("logger.mode", f"unknown mode {mode!r}", ", ".join(MODES))
    if mode != "auto":
        return mode
    env = os.environ.get("WANDB_MODE", "").strip().lower()
    if env in ENV_MODES:
        return ENV_MODES[env]
    return "online" if api_key_configured() else "offline"


def unreachable(url: str, timeout: float = PROBE_SECONDS) -> str | None:
    """Why ``url`` cannot be reached, or None if it answers (any HTTP status is an answer)."""
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout).close()
    except urllib.error.HTTPError:
        return None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return one_line(getattr(exc, "reason", None) or exc)
    return None


def one_line(error) -> str:
    """An error as one short line, without the API key in it."""
    text = " ".join(str(error).split()) or type(error).__name__
    key = os.environ.get("WANDB_API_KEY")
    if key:
        text = text.replace(key, "***")
    return text[:200]


def online_problem() -> str | None:
    """Why an online run cannot start now (no key, or the server does not answer), or None."""
    url = server_url()
    if not api_key_configured(url):
        return f"no API key for {url} (WANDB_API_KEY or `wandb login`)"
    reason = unreachable(url)
    return f"server {url} unreachable ({reason})" if reason else None


def quiet_settings(wandb):
    """No banner: W&B's own lines only when WANDB_SILENT / WANDB_CONSOLE ask for them."""
    silent = os.environ.get("WANDB_SILENT", "true").strip().lower() not in ("false", "0", "no")
    return wandb.Settings(silent=silent, console=os.environ.get("WANDB_CONSOLE", "off"))


def open_run(wandb, mode: str, **init) -> OpenedRun:
    """``wandb.init(**init)`` in the mode ``logger.mode`` asks for, offline if online cannot start;
    never raises for a W&B failure (the result's ``mode`` is then ``failed``, ``note`` says why)."""
    chosen, note = resolve_mode(mode), None
    if chosen == "online":
        note = online_problem()
        chosen = "offline" if note else "online"
    try:
        return OpenedRun(_init(wandb, chosen, init), chosen, note)
    except Exception as exc:  # noqa: BLE001 - W&B must never break a cell
        if chosen != "online":
            return OpenedRun(None, "failed", one_line(exc))
        note = f"online start failed ({one_line(exc)})"
    try:
        return OpenedRun(_init(wandb, "offline", init), "offline", note)
    except Exception as exc:  # noqa: BLE001
        return OpenedRun(None, "failed", f"{note}; offline too: {one_line(exc)}")


def _init(wandb, mode: str, init: dict):
    return wandb.init(mode=mode, settings=quiet_settings(wandb), reinit="finish_previous", **init)


def describe(opened: OpenedRun, where: Path) -> str | None:
    """The one warning line for a run that is not what was asked for, or None."""
    if opened.mode == "failed":
        return f"W&B logging failed: {opened.note}"
    if opened.note:
        return (f"W&B {opened.note}: logging offline under {where} "
                f"(sync later: wandb sync {where}/offline-run-*)")
    return None
