"""What can be wrong: a :class:`Problem` with an application (about a
field, a material or the whole), raised as :class:`ProblemError` by the
``require_*`` helpers, and a :class:`StepError` when a step cannot be
handled at all (transient: retry later; permanent: a person must look).

Not for collecting problems: see :class:`onething_sdk.Problems`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .text import Text


@dataclass(frozen=True)
class Subject:
    """What a problem is about: ``kind`` is ``field`` (``name`` is the
    dictionary key), ``material`` (``name`` is the material code) or
    ``general`` (the application as a whole, no name)."""

    kind: str
    name: Optional[str] = None

    def __post_init__(self) -> None:
        if self.kind not in ("field", "material", "general"):
            raise ValueError(f"{self.kind!r} is not a subject: field, material or general")
        if (self.kind == "general") != (self.name is None):
            raise ValueError("a field or material subject has a name; the general one has none")

    @staticmethod
    def field(key: str) -> "Subject":
        """A field, by dictionary key."""
        return Subject("field", key)

    @staticmethod
    def material(code: str) -> "Subject":
        """A material, by material code."""
        return Subject("material", code)

    @staticmethod
    def general() -> "Subject":
        """The application as a whole."""
        return Subject("general")

    def __str__(self) -> str:
        return self.name if self.name is not None else "(general)"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an application: its subject, a stable machine
    code (``too-old``, ``name-taken``) and a message for the applicant."""

    subject: Subject
    code: str
    message: Text

    @staticmethod
    def field(key: str, code: str, zh: str, en: str) -> "Problem":
        """A problem with a field; the message in Chinese and English."""
        return Problem(Subject.field(key), code, Text(zh, en))

    @staticmethod
    def material(material: str, code: str, zh: str, en: str) -> "Problem":
        """A problem with a material; the message in Chinese and English."""
        return Problem(Subject.material(material), code, Text(zh, en))

    @staticmethod
    def general(code: str, zh: str, en: str) -> "Problem":
        """A problem with the application as a whole."""
        return Problem(Subject.general(), code, Text(zh, en))

    @staticmethod
    def unknown_step(step: str) -> "Problem":
        """The problem a department reports for a step id it does not offer."""
        return Problem.general(
            "unknown-step",
            f"本部门不办理事项 {step}",
            f"This department does not handle step {step}",
        )

    @property
    def field_key(self) -> Optional[str]:
        """The field key this problem is about, if it is about a field."""
        return self.subject.name if self.subject.kind == "field" else None

    @property
    def material_code(self) -> Optional[str]:
        """The material code this problem is about, if about a material."""
        return self.subject.name if self.subject.kind == "material" else None

    def __str__(self) -> str:
        return f"{self.subject}: {self.code} ({self.message.en})"


class ProblemError(Exception):
    """A :class:`Problem` raised by a ``require_*`` helper. Collect it with
    :meth:`onething_sdk.Problems.take`; one that escapes ``check`` or
    ``handle`` is reported as that one problem (``needs-more``)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class StepError(Exception):
    """A step that could not be handled, for operators (not applicants):
    transient (worth retrying later: the department's system was down) or
    permanent (retrying will not help). Raise it from ``handle``; the
    store's and the HTTP client's errors are StepErrors too."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.message = message
        self._transient = bool(transient)

    @classmethod
    def transient(cls, message: str) -> "StepError":
        """Worth retrying later: a system the department depends on was down."""
        return StepError(message, transient=True)

    @classmethod
    def permanent(cls, message: str) -> "StepError":
        """Retrying will not help; a person must look at it."""
        return StepError(message, transient=False)

    @classmethod
    def unknown_step(cls, step: str) -> "StepError":
        """The error for a request naming a step the department does not offer."""
        return StepError(f"unknown step {step}", transient=False)

    @property
    def is_transient(self) -> bool:
        """Whether the host should retry."""
        return self._transient

    @property
    def kind(self) -> str:
        """``transient`` or ``permanent``."""
        return "transient" if self._transient else "permanent"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StepError):
            return NotImplemented
        return (self.kind, self.message) == (other.kind, other.message)

    def __hash__(self) -> int:
        return hash((self.kind, self.message))

    def __repr__(self) -> str:
        return f"StepError.{self.kind}({self.message!r})"
