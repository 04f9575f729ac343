"""Logging pieces that conf/hydra/job_logging/strikebench.yaml names."""
from __future__ import annotations

import logging


class BelowWarning(logging.Filter):
    """Info on stdout; warnings and errors go to stderr (their own handler)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < logging.WARNING
