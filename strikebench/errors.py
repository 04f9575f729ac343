"""Errors that strikebench reports to the user as one clear line, never as a traceback."""


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
