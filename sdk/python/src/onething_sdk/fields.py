"""Typed, read-only access to the fields and materials of a call, by
dictionary key and material code.

The host already checked every value against the dictionary, so a
``date`` field holds a :class:`Date`; the ``require_*`` methods still turn
an absent or mistyped value into a :class:`Problem` (raised as
:class:`ProblemError`, collected by :meth:`Problems.take`) instead of a
crash, so nothing an applicant sends can break a department. Problem
codes: ``missing``, ``wrong-type`` and the identifier codes of
:mod:`onething_sdk.ids`, the same as every OneThing SDK's.

Fields issued by an earlier step (``issued = true`` in the dictionary)
do not exist yet when the host checks a draft: a draft's fields
(``Fields(..., draft=True)``, what ``check`` and ``prefill`` get) accept
their absence in the ``issued_*`` methods; a request's report them
``missing``. Not for writing fields: see :func:`onething_sdk.approve`.
"""

from __future__ import annotations

import math
from typing import Iterable, Iterator, List, Optional, Sequence, Tuple

from . import ids
from ._rustlike import is_blank, trim
from .date import Date
from .money import Money
from .problems import Problem, ProblemError
from .values import Field, Item, Material, Value


def _missing(key: str) -> ProblemError:
    return ProblemError(
        Problem.field(key, "missing", f"请填写 {key}", f"Please fill in {key}: it is required")
    )


def _id_problem(key: str, what: Tuple[str, str], e: ids.IdError) -> ProblemError:
    return ProblemError(
        Problem.field(
            key,
            e.code,
            f"{what[0]}有误：{e.message_zh}（{key}）",
            f"The {what[1]} is not valid: {e.message} ({key})",
        )
    )


_RESIDENT_ID = ("公民身份号码", "resident ID number")
_USCC = ("统一社会信用代码", "unified social credit code")
_BANK_CARD = ("银行卡号", "bank card number")


class Fields(Sequence[Field]):
    """The fields of a call, looked up by dictionary key. A sequence of
    :class:`Field` in the order received."""

    def __init__(self, fields: Iterable[Field] = (), draft: bool = False) -> None:
        self._fields: Tuple[Field, ...] = tuple(fields)
        self._draft = bool(draft)

    @property
    def is_draft(self) -> bool:
        """Whether these are a draft's fields (issued ones may be absent)."""
        return self._draft

    def __len__(self) -> int:
        return len(self._fields)

    def __getitem__(self, index):  # type: ignore[override]
        return self._fields[index]

    def __iter__(self) -> Iterator[Field]:
        return iter(self._fields)

    def __repr__(self) -> str:
        return f"Fields({list(self._fields)!r}, draft={self._draft})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Fields):
            return self._fields == other._fields and self._draft == other._draft
        return NotImplemented

    # ------------------------------------------------------------ lookup

    def get(self, key: str) -> Optional[Value]:
        """The value under ``key``, if present."""
        for f in self._fields:
            if f.key == key:
                return f.value
        return None

    def has(self, key: str) -> bool:
        """Whether ``key`` is present."""
        return self.get(key) is not None

    def keys(self) -> List[str]:
        """Every key present, in the order received."""
        return [f.key for f in self._fields]

    def _of(self, key: str, kind: str):
        v = self.get(key)
        return v.value if v is not None and v.kind == kind else None

    def text(self, key: str) -> Optional[str]:
        """A text or choice field, trimmed; ``None`` if absent, blank or of
        another type."""
        t = self._of(key, "text")
        return trim(t) if t is not None and not is_blank(t) else None

    def date(self, key: str) -> Optional[Date]:
        """A date field."""
        return self._of(key, "date")

    def boolean(self, key: str) -> Optional[bool]:
        """A boolean field."""
        return self._of(key, "boolean")

    def integer(self, key: str) -> Optional[int]:
        """An integer field."""
        return self._of(key, "integer")

    def money(self, key: str) -> Optional[Money]:
        """A money field (exact fen)."""
        fen = self._of(key, "money")
        return Money(fen) if fen is not None else None

    def decimal(self, key: str) -> Optional[float]:
        """A decimal field (an integer is widened); ``None`` for NaN or
        infinities."""
        v = self.get(key)
        if v is not None and v.kind == "decimal" and math.isfinite(v.value):
            return v.value
        if v is not None and v.kind == "integer":
            return float(v.value)
        return None

    def items(self, key: str) -> Optional[List[Item]]:
        """A list field's elements (empty lists included)."""
        items = self._of(key, "items")
        return list(items) if items is not None else None

    def texts(self, key: str) -> Optional[List[str]]:
        """A list of texts, each trimmed; ``None`` if absent, not a list, or
        holding an element that is not text."""
        items = self.items(key)
        if items is None or any(i.kind != "text" for i in items):
            return None
        return [trim(i.value) for i in items]

    def monies(self, key: str) -> Optional[List[Money]]:
        """A list of amounts; ``None`` if absent, not a list, or holding an
        element that is not money."""
        items = self.items(key)
        if items is None or any(i.kind != "money" for i in items):
            return None
        return [Money(i.value) for i in items]

    # ---------------------------------------------------------- required

    def _required(self, key: str, expected: str, typed):
        if typed is not None:
            return typed
        v = self.get(key)
        if v is None or (v.kind == "text" and is_blank(v.value)):
            raise _missing(key)
        raise ProblemError(
            Problem.field(
                key,
                "wrong-type",
                f"{key} 应为 {expected} 类型，收到 {v.kind}",
                f"{key} should be of type {expected}, not {v.kind}",
            )
        )

    def require_text(self, key: str) -> str:
        """A required text/choice field (trimmed), or a ``missing`` /
        ``wrong-type`` problem."""
        return self._required(key, "text", self.text(key))

    def require_date(self, key: str) -> Date:
        """A required date field, or its problem."""
        return self._required(key, "date", self.date(key))

    def require_boolean(self, key: str) -> bool:
        """A required boolean field, or its problem."""
        return self._required(key, "boolean", self.boolean(key))

    def require_integer(self, key: str) -> int:
        """A required integer field, or its problem."""
        return self._required(key, "integer", self.integer(key))

    def require_decimal(self, key: str) -> float:
        """A required decimal field (integers widened), or its problem."""
        return self._required(key, "decimal", self.decimal(key))

    def require_money(self, key: str) -> Money:
        """A required money field, or its problem."""
        return self._required(key, "money", self.money(key))

    def require_items(self, key: str) -> List[Item]:
        """A required list field (it may be empty), or its problem."""
        return self._required(key, "items", self.items(key))

    def require_texts(self, key: str) -> List[str]:
        """A required list of texts, or its problem (also when an element
        is not text)."""
        return self._required(key, "items of text", self.texts(key))

    # -------------------------------------------------------- identifiers

    def resident_id(self, key: str) -> Optional[ids.ResidentId]:
        """An optional resident ID number: ``None`` if absent, else the
        parsed number, or a problem with the identifier's code."""
        t = self.text(key)
        if t is None:
            return None
        return _parse_resident_id(key, t)

    def require_resident_id(self, key: str) -> ids.ResidentId:
        """A required resident ID number, parsed, or its problem."""
        return _parse_resident_id(key, self.require_text(key))

    def require_uscc(self, key: str) -> str:
        """A required unified social credit code, verified, or its problem."""
        code = self.require_text(key)
        try:
            ids.validate_uscc(code)
        except ids.IdError as e:
            raise _id_problem(key, _USCC, e) from None
        return code

    def require_bank_card(self, key: str) -> str:
        """A required bank card number, verified (12 to 19 digits, Luhn), or
        its problem (``bad-card-number``, ``bad-check-digit``)."""
        card = self.require_text(key)
        try:
            ids.validate_bank_card(card)
        except ids.IdError as e:
            raise _id_problem(key, _BANK_CARD, e) from None
        return card

    # ------------------------------------------------------------ issued

    def _issued(self, key: str, require):
        if self._draft and not self.has(key):
            return None
        return require(key)

    def issued_text(self, key: str) -> Optional[str]:
        """A text field an earlier step issues: ``None`` while absent in a
        draft, else as :meth:`require_text`."""
        return self._issued(key, self.require_text)

    def issued_resident_id(self, key: str) -> Optional[ids.ResidentId]:
        """A resident ID number an earlier step issues (see :meth:`issued_text`)."""
        return self._issued(key, self.require_resident_id)

    def issued_uscc(self, key: str) -> Optional[str]:
        """A credit code an earlier step issues (see :meth:`issued_text`)."""
        return self._issued(key, self.require_uscc)


def _parse_resident_id(key: str, text: str) -> ids.ResidentId:
    try:
        return ids.ResidentId.parse(text)
    except ids.IdError as e:
        raise _id_problem(key, _RESIDENT_ID, e) from None


class Materials(Sequence[Material]):
    """The materials of a call, looked up by material code."""

    def __init__(self, materials: Iterable[Material] = ()) -> None:
        self._materials: Tuple[Material, ...] = tuple(materials)

    def __len__(self) -> int:
        return len(self._materials)

    def __getitem__(self, index):  # type: ignore[override]
        return self._materials[index]

    def __iter__(self) -> Iterator[Material]:
        return iter(self._materials)

    def __repr__(self) -> str:
        return f"Materials({list(self._materials)!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Materials):
            return self._materials == other._materials
        return NotImplemented

    def get(self, code: str) -> Optional[Material]:
        """The material with ``code``, if supplied."""
        for m in self._materials:
            if m.code == code:
                return m
        return None

    def has(self, code: str) -> bool:
        """Whether the material with ``code`` was supplied."""
        return self.get(code) is not None

    def require(self, code: str) -> Material:
        """A required material, or a ``missing`` problem about it."""
        m = self.get(code)
        if m is None:
            raise ProblemError(
                Problem.material(
                    code, "missing", f"请提交材料 {code}", f"Please supply the material {code}: it is required"
                )
            )
        return m
