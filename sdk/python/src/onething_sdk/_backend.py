"""Which host the SDK talks to: inside a component (``sys.platform`` is
``wasi``) the host's imports through componentize-py's generated
``wit_world`` bindings (:mod:`onething_sdk._component`); natively the test
kit's stand-ins (:mod:`onething_sdk._native`). Chosen at call time, so
importing the SDK never needs the bindings.
"""

from __future__ import annotations

import sys
from types import ModuleType

#: Whether this is running inside a WebAssembly component.
IN_COMPONENT = sys.platform == "wasi"


class WarmUpStop(BaseException):
    """Raised by every host import while :func:`warming` is on: the
    warm-up stops a call where it would reach the host (an import called
    while componentize-py snapshots the interpreter fails the build)."""


class _Warming:
    """Stands in for the host during the warm-up: every import stops it."""

    def __getattr__(self, name: str):
        raise WarmUpStop(name)


_warming = False


def warming(on: bool) -> None:
    """Turn the warm-up's stand-in host on or off."""
    global _warming
    _warming = on


def host() -> ModuleType:
    """The module implementing the host's imports here."""
    if _warming:
        return _Warming()  # type: ignore[return-value]
    if IN_COMPONENT:
        from . import _component

        return _component
    from . import _native

    return _native
