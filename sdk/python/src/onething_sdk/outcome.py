"""Building what ``handle`` returns: approvals (:func:`approve`), problem
lists (:class:`Problems`), rejections and deferrals, and reading an
:class:`Outcome` back in tests. Every text for the applicant is given in
Chinese and English.

``handle`` may return an :class:`Approval` (approved), an
:class:`Outcome`, or raise a :class:`StepError`. Not for checking that an
approval writes only declared fields: the host refuses those, and
:func:`onething_sdk.testkit.handle` fails the test natively.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, List, Optional, Union

from .problems import Problem, ProblemError
from .text import Text
from .values import Field, Value


@dataclass(frozen=True)
class Document:
    """A document a department issued: its kind, number and title."""

    kind: str
    number: str
    title: Text


@dataclass(frozen=True)
class Ticket:
    """Handled off-line: the department's reference and why, for the applicant."""

    id: str
    reason: Text


@dataclass
class Approval:
    """A step done: the fields it writes (each must be in the step's
    ``writes``), the documents issued and an optional note (``note_text``).
    Build it with :func:`approve` and the chained methods."""

    fields: List[Field] = field(default_factory=list)
    documents: List[Document] = field(default_factory=list)
    note_text: Optional[Text] = None

    def field(self, key: str, value: Any) -> "Approval":
        """Write a field (any value :meth:`Value.of` takes). Writing the same
        key again replaces the earlier value."""
        new = Field(key, Value.of(value))
        for i, f in enumerate(self.fields):
            if f.key == key:
                self.fields[i] = new
                return self
        self.fields.append(new)
        return self

    def document(self, kind: str, number: str, title_zh: str, title_en: str) -> "Approval":
        """Record an issued document, its title in Chinese and English."""
        self.documents.append(Document(kind, str(number), Text(title_zh, title_en)))
        return self

    def note(self, note_zh: "str | Text", note_en: Optional[str] = None) -> "Approval":
        """Add a note for the applicant: Chinese and English, or one
        :class:`Text` (e.g. :meth:`Text.join` of several)."""
        if isinstance(note_zh, Text):
            if note_en is not None:
                raise TypeError("note() takes a Text, or two str (Chinese, English), not both")
            self.note_text = note_zh
        else:
            if note_en is None:
                raise TypeError("note() needs the English too: note(zh, en)")
            self.note_text = Text(note_zh, note_en)
        return self

    def get(self, key: str) -> Optional[Value]:
        """The value written under ``key``, if any."""
        for f in self.fields:
            if f.key == key:
                return f.value
        return None

    def text(self, key: str) -> Optional[str]:
        """The text written under ``key``, if any."""
        v = self.get(key)
        return v.as_text() if v is not None else None


def approve() -> Approval:
    """Start an approval with no fields, no documents and no note."""
    return Approval()


OUTCOME_KINDS = ("approved", "needs-more", "rejected", "deferred")


@dataclass(frozen=True)
class Outcome:
    """How a step ended: ``kind`` is ``approved`` (``value`` an
    :class:`Approval`), ``needs-more`` (a list of :class:`Problem`),
    ``rejected`` (a :class:`Text`) or ``deferred`` (a :class:`Ticket`)."""

    kind: str
    value: Any

    def __post_init__(self) -> None:
        expected = {"approved": Approval, "needs-more": list, "rejected": Text, "deferred": Ticket}
        if self.kind not in expected:
            raise ValueError(f"{self.kind!r} is not an outcome: one of {', '.join(OUTCOME_KINDS)}")
        if not isinstance(self.value, expected[self.kind]):
            raise TypeError(f"a {self.kind} outcome holds a {expected[self.kind].__name__}")

    @staticmethod
    def of(answer: "Outcome | Approval") -> "Outcome":
        """An outcome from what ``handle`` returned (an approval is approved)."""
        if isinstance(answer, Outcome):
            return answer
        if isinstance(answer, Approval):
            return Outcome("approved", answer)
        raise TypeError(
            f"handle returned {type(answer).__name__}: return an Approval (approve()...), an "
            "Outcome (reject, defer, needs_more, Problems.into_outcome) or raise a StepError"
        )

    @property
    def is_approved(self) -> bool:
        """Whether the step was approved."""
        return self.kind == "approved"

    @property
    def approval(self) -> Optional[Approval]:
        """The approval, if approved."""
        return self.value if self.kind == "approved" else None

    @property
    def problems(self) -> List[Problem]:
        """The problems, if the applicant must supply more (else empty)."""
        return list(self.value) if self.kind == "needs-more" else []

    @property
    def rejection(self) -> Optional[Text]:
        """The reason, if rejected."""
        return self.value if self.kind == "rejected" else None

    @property
    def ticket(self) -> Optional[Ticket]:
        """The ticket, if deferred."""
        return self.value if self.kind == "deferred" else None

    def has_field_problem(self, key: str, code: str) -> bool:
        """Whether a problem with ``code`` about field ``key`` is among the problems."""
        return any(p.code == code and p.field_key == key for p in self.problems)


def reject(reason_zh: str, reason_en: str) -> Outcome:
    """Refuse the step, with the reason for the applicant."""
    return Outcome("rejected", Text(reason_zh, reason_en))


def defer(ticket: str, reason_zh: str, reason_en: str) -> Outcome:
    """Hand the step to off-line handling under the department's ticket."""
    return Outcome("deferred", Ticket(ticket, Text(reason_zh, reason_en)))


def needs_more(problems: Iterable[Problem]) -> Outcome:
    """Ask the applicant for more: every problem at once."""
    return Outcome("needs-more", list(problems))


class Problems:
    """Collects every problem with an application, so ``check`` and
    ``handle`` report them all at once (the one-time notification). A
    problem whose subject already has one with the same code is kept once.

    ``name = problems.take(fields.require_text, "child.name")`` calls the
    helper and keeps its value, or records its problem and gives ``None``.
    """

    def __init__(self, problems: Iterable[Problem] = ()) -> None:
        self._list: List[Problem] = []
        self.extend(problems)

    def field(self, key: str, code: str, zh: str, en: str) -> "Problems":
        """Add a problem with a field, its message in Chinese and English."""
        return self.push(Problem.field(key, code, zh, en))

    def material(self, material: str, code: str, zh: str, en: str) -> "Problems":
        """Add a problem with a material."""
        return self.push(Problem.material(material, code, zh, en))

    def general(self, code: str, zh: str, en: str) -> "Problems":
        """Add a problem with the application as a whole."""
        return self.push(Problem.general(code, zh, en))

    def push(self, problem: Problem) -> "Problems":
        """Add a problem, unless its subject already has one with its code."""
        if not any(p.subject == problem.subject and p.code == problem.code for p in self._list):
            self._list.append(problem)
        return self

    def extend(self, problems: Iterable[Problem]) -> "Problems":
        """Add several problems."""
        for p in problems:
            self.push(p)
        return self

    def take(self, helper: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call ``helper(*args, **kwargs)`` and return its value; if it raises
        :class:`ProblemError`, record the problem and return ``None``."""
        try:
            return helper(*args, **kwargs)
        except ProblemError as e:
            self.push(e.problem)
            return None

    @property
    def is_empty(self) -> bool:
        """Whether nothing is wrong."""
        return not self._list

    def __len__(self) -> int:
        return len(self._list)

    def __iter__(self) -> Iterator[Problem]:
        return iter(list(self._list))

    def __repr__(self) -> str:
        return f"Problems({self._list!r})"

    def has_field(self, key: str) -> bool:
        """Whether field ``key`` already has a problem (to skip further rules)."""
        return any(p.field_key == key for p in self._list)

    def to_list(self) -> List[Problem]:
        """The problems, for ``check``."""
        return list(self._list)

    def into_outcome(self, approve: Callable[[], Union[Approval, Outcome]]) -> Outcome:
        """``needs-more`` with every problem if there is any; otherwise call
        ``approve`` (which may issue numbers and raise a transient
        :class:`StepError`) and return its approval as the outcome."""
        if self._list:
            return Outcome("needs-more", list(self._list))
        return Outcome.of(approve())
