"""The department's private durable key-value store: :func:`get`,
:func:`set`, :func:`insert_new` (the building block for reservations and
idempotent issuing: it says what holds a key it did not set), :func:`delete`,
and :func:`reserve` on top of it.

Values are bytes (a ``str`` is stored as UTF-8). Every function raises
:class:`StoreError` when the store fails; it is a :class:`StepError`
(``unavailable`` transient, ``too-large`` permanent), so letting it out of
``handle`` answers the host correctly. Natively the store is the test
kit's (:func:`onething_sdk.testkit.seed`, ``stored``, ``fail_store``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

from . import _backend
from .problems import StepError


class StoreError(StepError):
    """A store operation failed: ``kind`` is ``unavailable`` (the store could
    not be reached: transient) or ``too-large`` (a key or value over the
    host's limit, or the quota used: permanent); ``detail`` the host's
    words."""

    def __init__(self, kind: str, detail: str) -> None:
        if kind == "unavailable":
            super().__init__(f"store unavailable: {detail}", transient=True)
        elif kind == "too-large":
            super().__init__(f"store refused a value: {detail}", transient=False)
        else:
            raise ValueError(f"{kind!r} is not a store error: unavailable or too-large")
        self.store_kind = kind
        self.detail = detail

    @staticmethod
    def unavailable(detail: str) -> "StoreError":
        """The store could not be reached."""
        return StoreError("unavailable", detail)

    @staticmethod
    def too_large(detail: str) -> "StoreError":
        """A key or value is over the host's limit, or the quota is used."""
        return StoreError("too-large", detail)

    def __repr__(self) -> str:
        return f"StoreError({self.store_kind!r}, {self.detail!r})"


@dataclass(frozen=True)
class Set:
    """What :func:`insert_new` did: the key was absent and now holds the value."""

    is_set = True

    @property
    def held(self) -> None:
        """Nothing held the key."""
        return None

    def held_text(self) -> None:
        """Nothing held the key."""
        return None


@dataclass(frozen=True)
class Held:
    """What :func:`insert_new` did: the key was already held, by ``value``."""

    value: bytes
    is_set = False

    @property
    def held(self) -> bytes:
        """The value under the key."""
        return self.value

    def held_text(self) -> str:
        """The value under the key as UTF-8 text (invalid bytes replaced)."""
        return self.value.decode("utf-8", errors="replace")


Inserted = Union[Set, Held]


def _bytes(value: Union[bytes, bytearray, str]) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    raise TypeError(f"the store holds bytes or str, not {type(value).__name__}")


def get(key: str) -> Optional[bytes]:
    """The value under ``key``, if any."""
    return _backend.host().store_get(key)


def get_text(key: str) -> Optional[str]:
    """The value under ``key`` as UTF-8 text, if any (invalid bytes replaced)."""
    value = get(key)
    return value.decode("utf-8", errors="replace") if value is not None else None


def set(key: str, value: Union[bytes, str]) -> None:  # noqa: A001 - the contract's name
    """Set ``key`` to ``value``, replacing what was there."""
    _backend.host().store_set(key, _bytes(value))


def insert_new(key: str, value: Union[bytes, str]) -> Inserted:
    """Set ``key`` to ``value`` only if ``key`` is absent: :class:`Set`, or
    :class:`Held` with the value already under it."""
    held = _backend.host().store_insert_new(key, _bytes(value))
    return Set() if held is None else Held(held)


def delete(key: str) -> bool:
    """Remove ``key``; whether it was there."""
    return _backend.host().store_delete(key)


def reserve(key: str, owner: str) -> Optional[str]:
    """Reserve ``key`` for ``owner``: store ``owner`` under it unless another
    owner holds it. ``None`` when ``owner`` now holds it (newly, or already:
    a retry), else the holder."""
    holder = insert_new(key, owner).held_text()
    return holder if holder is not None and holder != owner else None
