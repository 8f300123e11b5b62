"""Structured logging through the host's ``log`` import, one function per
level: ``log.info("certificate issued", step="birth-certificate")`` (or
the attributes as a dict or a list of pairs).

The host attributes every record to the department and plugin version.
Put codes and keys in records, never an applicant's values (names, ID
numbers). Natively, records are kept for :func:`onething_sdk.testkit.logs`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Iterable, List, Mapping, Tuple, Union

from . import _backend

Attributes = Union[Mapping[str, str], Iterable[Tuple[str, str]], None]


class Level(enum.IntEnum):
    """Severity of a log record (the contract's order)."""

    TRACE = 0
    DEBUG = 1
    INFO = 2
    WARN = 3
    ERROR = 4


@dataclass(frozen=True)
class LogRecord:
    """One record written through this module (natively)."""

    level: Level
    message: str
    attributes: List[Tuple[str, str]]


def _pairs(attributes: Attributes, extra: Mapping[str, str]) -> List[Tuple[str, str]]:
    if attributes is None:
        pairs: List[Tuple[str, str]] = []
    elif isinstance(attributes, Mapping):
        pairs = [(str(k), str(v)) for k, v in attributes.items()]
    else:
        pairs = [(str(k), str(v)) for k, v in attributes]
    pairs.extend((k, str(v)) for k, v in extra.items())
    return pairs


def write(level: Level, message: str, attributes: Attributes = None, **extra: str) -> None:
    """Write one record at ``level``: a message plus key/value pairs."""
    _backend.host().log_write(Level(level), str(message), _pairs(attributes, extra))


def trace(message: str, attributes: Attributes = None, **extra: str) -> None:
    """Very detailed tracing."""
    write(Level.TRACE, message, attributes, **extra)


def debug(message: str, attributes: Attributes = None, **extra: str) -> None:
    """Debugging detail."""
    write(Level.DEBUG, message, attributes, **extra)


def info(message: str, attributes: Attributes = None, **extra: str) -> None:
    """Normal operation."""
    write(Level.INFO, message, attributes, **extra)


def warn(message: str, attributes: Attributes = None, **extra: str) -> None:
    """Something unexpected but handled."""
    write(Level.WARN, message, attributes, **extra)


def error(message: str, attributes: Attributes = None, **extra: str) -> None:
    """Something failed."""
    write(Level.ERROR, message, attributes, **extra)
