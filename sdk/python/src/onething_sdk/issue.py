"""Issuing numbers idempotently: a retried attempt of a step gets the
number the first attempt issued, and no two applications get the same.

Both live in the department's :mod:`onething_sdk.store`, under the same
keys as every OneThing SDK's: ``issued/<kind>/<idempotency key>``
remembers what a step issued, and ``number/<kind>/<number>`` reserves a
number for one idempotency key. Use the dictionary key of the field the
number is written to as the ``kind`` (``child.id_number``): an operator
completing a step by hand reserves its number under the same key. Not
for choosing the number's shape: the ``candidate`` function does that
(usually from :mod:`onething_sdk.hash` over the idempotency key).
"""

from __future__ import annotations

from typing import Callable

from . import store
from .problems import StepError

#: How many candidates :func:`unique` tries before giving up.
MAX_CANDIDATES = 64


def unique(kind: str, idempotency_key: str, candidate: Callable[[int], str]) -> str:
    """The number of ``kind`` issued under ``idempotency_key``: the remembered
    one on a retry, else the first of ``candidate(0)``, ``candidate(1)`` …
    that no other idempotency key holds. Raises a transient
    :class:`StepError` if the store is down or every candidate is taken."""
    issued_key = f"issued/{kind}/{idempotency_key}"
    number = store.get_text(issued_key)
    if number is not None:
        return number
    for salt in range(MAX_CANDIDATES):
        number = str(candidate(salt))
        number_key = f"number/{kind}/{number}"
        if store.reserve(number_key, idempotency_key) is not None:
            continue
        inserted = store.insert_new(issued_key, number)
        if inserted.is_set:
            return number
        # A concurrent attempt of the same step issued first: keep its
        # number and free ours.
        store.delete(number_key)
        return inserted.held_text()
    raise StepError.transient(f"no free {kind} number after {MAX_CANDIDATES} candidates")


def remembered(kind: str, idempotency_key: str, make: Callable[[], str]) -> str:
    """A value of ``kind`` made once under ``idempotency_key`` and remembered
    (a registration date, say): later attempts get the first value back."""
    key = f"issued/{kind}/{idempotency_key}"
    value = store.get_text(key)
    if value is not None:
        return value
    value = str(make())
    inserted = store.insert_new(key, value)
    return value if inserted.is_set else inserted.held_text()
