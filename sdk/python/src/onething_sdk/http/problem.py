"""The error answers of a department's system as RFC 9457 problem details
(``application/problem+json``): ``type``, ``title``, ``status``,
``detail``, and any further members (who holds a name, the number a
subject already has).

Not a schema: a member the step needs is read by name
(:meth:`ProblemDetails.text`), whatever else the body holds.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Optional


def _kebab(t: str) -> bool:
    return bool(t) and all(c.islower() and c.isascii() or "0" <= c <= "9" or c == "-" for c in t)


class ProblemDetails:
    """One problem a system answered (a JSON object's members)."""

    def __init__(self, members: Dict[str, Any]) -> None:
        self.members = members

    @staticmethod
    def parse(body: bytes) -> Optional["ProblemDetails"]:
        """The problem in ``body``, if it is a JSON object."""
        try:
            value = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return None
        return ProblemDetails(value) if isinstance(value, dict) else None

    @property
    def code(self) -> str:
        """Its short machine code: ``title`` when it is one word of
        kebab-case, else the last ``:`` or ``/`` segment of ``type``, else
        empty (``urn:onething:systems:name-taken`` → ``name-taken``)."""
        title = self.text("title")
        if title is not None and _kebab(title):
            return title
        kind = self.text("type")
        if kind is None:
            return ""
        return kind.replace("/", ":").rsplit(":", 1)[-1]

    @property
    def detail(self) -> Optional[str]:
        """``detail``, if given."""
        return self.text("detail")

    def text(self, name: str) -> Optional[str]:
        """The text member ``name``, if it is text."""
        value = self.members.get(name)
        return value if isinstance(value, str) else None

    def member(self, name: str) -> Any:
        """Any member, as decoded JSON (``None`` if absent)."""
        return self.members.get(name)

    def summary(self) -> str:
        """``code: detail``, for error messages (operators read these)."""
        detail = self.detail
        return f"{self.code}: {detail}" if detail is not None else self.code

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ProblemDetails) and other.members == self.members

    def __repr__(self) -> str:
        return f"ProblemDetails({self.members!r})"
