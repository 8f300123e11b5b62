"""The host's clock: today's date in the host's time zone (China Standard
Time by default) and the current Unix time.

Rules that depend on the date ("under six months old") must use
:func:`today`, never :mod:`datetime` or :mod:`time`, so the host (and
natively :func:`onething_sdk.testkit.pin_today`) decides what day it is.
"""

from __future__ import annotations

from . import _backend
from .date import Date


def today() -> Date:
    """Today's date in the host's configured time zone."""
    return _backend.host().clock_today()


def now() -> int:
    """Seconds since the Unix epoch, UTC."""
    return _backend.host().clock_now()
