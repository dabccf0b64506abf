"""Silencing a library's logger for the span of one call."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def quieted(logger_name: str, level: int) -> Iterator[None]:
    """Drop the named logger's records below `level`, then restore its own level."""
    logger = logging.getLogger(logger_name)
    previous = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(previous)
