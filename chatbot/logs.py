"""Logging set-up for the long-running commands: one format, and libraries that would log data kept quiet.

aiosqlite logs every statement it runs at DEBUG, parameters included ("executing functools.partial(<execute>,
'UPDATE ...', ('Jane Doe', ...))"): with LOG_LEVEL=DEBUG that put what agents typed, PII included, into the
logs. Its logger is held at INFO whatever the level asked for; secrets never reach a log record in the first
place (settings.Secret).
"""

from __future__ import annotations

import logging

QUIET = {"aiosqlite": logging.INFO, "alembic.runtime.plugins": logging.WARNING}


def configure(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet()


def quiet() -> None:
    for name, floor in QUIET.items():
        logger = logging.getLogger(name)
        logger.setLevel(max(floor, logger.level))
