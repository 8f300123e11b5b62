"""The stand-ins for the host's imports when the SDK runs natively (unit
tests): a store, log, clock, configuration and HTTP mocks per thread,
which :mod:`onething_sdk.testkit` controls. Never used inside a component.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from .date import Date
from .log import Level, LogRecord

#: China Standard Time, the host's default zone.
CST_OFFSET_SECONDS = 8 * 3600


@dataclass
class State:
    """Everything the stand-ins hold for one thread."""

    store: Dict[str, bytes] = field(default_factory=dict)
    store_failure: Optional[Exception] = None
    logs: List[LogRecord] = field(default_factory=list)
    today: Optional[Date] = None
    now: Optional[int] = None
    config: Dict[str, str] = field(default_factory=dict)
    secrets: Dict[str, str] = field(default_factory=dict)
    http_expected: list = field(default_factory=list)
    http_recorded: list = field(default_factory=list)


_local = threading.local()


def state() -> State:
    """This thread's state (made on first use)."""
    s = getattr(_local, "state", None)
    if s is None:
        s = _local.state = State()
    return s


def reset() -> None:
    """Forget this thread's state."""
    _local.state = State()


def _store() -> Dict[str, bytes]:
    s = state()
    if s.store_failure is not None:
        raise s.store_failure
    return s.store


def store_get(key: str) -> Optional[bytes]:
    return _store().get(key)


def store_set(key: str, value: bytes) -> None:
    _store()[key] = value


def store_insert_new(key: str, value: bytes) -> Optional[bytes]:
    store = _store()
    if key in store:
        return store[key]
    store[key] = value
    return None


def store_delete(key: str) -> bool:
    return _store().pop(key, None) is not None


def config_get(key: str) -> Optional[str]:
    return state().config.get(key)


def config_keys() -> List[str]:
    return sorted(state().config)


def config_secret(name: str) -> Optional[str]:
    return state().secrets.get(name)


def log_write(level: Level, message: str, attributes: list) -> None:
    state().logs.append(LogRecord(level, message, list(attributes)))


def clock_now() -> int:
    pinned = state().now
    return pinned if pinned is not None else int(time.time())


def clock_today() -> Date:
    pinned = state().today
    if pinned is not None:
        return pinned
    return Date.from_days_since_epoch((clock_now() + CST_OFFSET_SECONDS) // 86_400)


def http_send(outgoing):
    from .testkit import http

    return http.answer(outgoing)
