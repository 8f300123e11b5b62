"""What the host hands a department: a :class:`Draft` of one step (for
``check`` and ``prefill``) and a :class:`Request`, one attempt at a step
(for ``handle``). Their ``fields`` are :class:`Fields` (a draft's read as
a draft's) and their ``materials`` :class:`Materials`.
"""

from __future__ import annotations

from typing import Iterable, Optional

from ._rustlike import U32_MAX, check_unsigned
from .fields import Fields, Materials
from .values import Field, Material


class Draft:
    """A draft of one step: the application it belongs to (``None`` for a
    form checked before it is submitted), the step id, the fields the step
    declared it reads (those typed so far) and its materials (empty for
    ``prefill``)."""

    __slots__ = ("application", "step", "fields", "materials")

    def __init__(
        self,
        application: Optional[str],
        step: str,
        fields: Iterable[Field] = (),
        materials: Iterable[Material] = (),
    ) -> None:
        self.application = application
        self.step = step
        self.fields = Fields(fields, draft=True)
        self.materials = Materials(materials)

    def __repr__(self) -> str:
        return (
            f"Draft(application={self.application!r}, step={self.step!r}, "
            f"fields={list(self.fields)!r}, materials={list(self.materials)!r})"
        )


class Request:
    """One attempt at a step: the application id, the step id, the
    idempotency key (the same on every attempt: send it on as the
    ``Idempotency-Key`` of the department's own writes), the attempt
    number (from 1), the declared fields and the materials supplied."""

    __slots__ = ("application", "step", "idempotency_key", "attempt", "fields", "materials")

    def __init__(
        self,
        application: str,
        step: str,
        idempotency_key: str,
        attempt: int = 1,
        fields: Iterable[Field] = (),
        materials: Iterable[Material] = (),
    ) -> None:
        self.application = application
        self.step = step
        self.idempotency_key = idempotency_key
        self.attempt = check_unsigned(attempt, "the attempt number", U32_MAX)
        self.fields = Fields(fields)
        self.materials = Materials(materials)

    def __repr__(self) -> str:
        return (
            f"Request(application={self.application!r}, step={self.step!r}, "
            f"idempotency_key={self.idempotency_key!r}, attempt={self.attempt}, "
            f"fields={list(self.fields)!r}, materials={list(self.materials)!r})"
        )
