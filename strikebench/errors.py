"""Errors that strikebench reports to the user as one clear line, never as a traceback."""
import sys
from typing import Callable


class StrikebenchError(Exception):
    """Base class: the command line prints the message and exits with status 2."""


class ConfigError(StrikebenchError):
    """A config field holds a value strikebench cannot run with."""

    def __init__(self, field: str, problem: str, allowed: str | None = None):
        self.field = field
        message = f"{field}: {problem}"
        if allowed:
            message += f" (allowed: {allowed})"
        super().__init__(message)


class DataError(StrikebenchError):
    """A dataset file is missing, malformed or leaves a company without data."""


class WriteError(StrikebenchError):
    """A file cannot be written (read-only, no permission, disk full); the message names the path."""


def exit_status(prog: str, command: Callable[[], int | None], interrupted: str = "interrupted") -> int:
    """Run ``command`` as the command ``prog``: a StrikebenchError is one line and status 2,
    Ctrl-C one line and status 130."""
    try:
        return command() or 0
    except StrikebenchError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: {interrupted}", file=sys.stderr)
        return 130

