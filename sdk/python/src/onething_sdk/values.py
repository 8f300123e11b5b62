"""The values of fields: :class:`Value` (one field's value) and
:class:`Item` (one element of a list value), tagged by their dictionary
type, plus :class:`Field` and :class:`Material` as a call carries them.

So an author writes ``.field("tax.invoice_quota", 25)`` instead of
``Value.integer(25)``: :meth:`Value.of` turns plain Python into a value
(``str`` → text, ``bool`` → boolean, ``int`` → integer, ``float`` →
decimal, :class:`Date`, :class:`Money`, a list → items). Numbers must fit
the contract's ``s64``. Not for checking a value against the dictionary:
the host does that for every value that crosses it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Optional

from ._rustlike import U64_MAX, check_s64, check_unsigned
from .date import Date
from .money import Money

#: The dictionary type names an item takes.
ITEM_KINDS = ("text", "integer", "money", "decimal", "boolean", "date")
#: The dictionary type names a value takes (``choice`` fields arrive as text).
VALUE_KINDS = ITEM_KINDS + ("items",)


def _checked(kind: str, value: Any, what: str) -> Any:
    if kind == "text":
        if not isinstance(value, str):
            raise TypeError(f"a text {what} holds a str, not {type(value).__name__}")
    elif kind in ("integer", "money"):
        check_s64(value, f"an {kind} {what}" if kind == "integer" else f"a money {what} (fen)")
    elif kind == "decimal":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"a decimal {what} holds a float, not {type(value).__name__}")
        value = float(value)
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise TypeError(f"a boolean {what} holds a bool, not {type(value).__name__}")
    elif kind == "date":
        if not isinstance(value, Date):
            raise TypeError(f"a date {what} holds a Date, not {type(value).__name__}")
    return value


def _kind_of(value: Any) -> str:
    """The kind plain Python ``value`` becomes (bool before int)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "decimal"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Date):
        return "date"
    if isinstance(value, Money):
        return "money"
    if isinstance(value, (list, tuple)):
        return "items"
    raise TypeError(
        f"{type(value).__name__} is not a field value: give str, int, float, bool, "
        "Date, Money or a list of those"
    )


class _Typed:
    """What an :class:`Item` and a :class:`Value` read alike: their
    ``kind`` and ``value``."""

    kind: str
    value: Any

    @property
    def type_name(self) -> str:
        """The dictionary type name (``text``, ``money``, …)."""
        return self.kind

    def as_text(self) -> Optional[str]:
        """The text, if this is text."""
        return self.value if self.kind == "text" else None

    def as_money(self) -> Optional[Money]:
        """The amount, if this is money."""
        return Money(self.value) if self.kind == "money" else None


@dataclass(frozen=True)
class Item(_Typed):
    """One element of a list value: any value but a list. ``kind`` is its
    dictionary type (``text``, ``integer``, ``money`` (fen), ``decimal``,
    ``boolean``, ``date``), ``value`` the Python value."""

    kind: str
    value: Any

    def __post_init__(self) -> None:
        if self.kind not in ITEM_KINDS:
            raise ValueError(f"{self.kind!r} is not an item kind: one of {', '.join(ITEM_KINDS)}")
        object.__setattr__(self, "value", _checked(self.kind, self.value, "item"))

    @staticmethod
    def of(value: Any) -> "Item":
        """An element from plain Python (see the module's documentation)."""
        if isinstance(value, Item):
            return value
        kind = _kind_of(value)
        if kind == "items":
            raise TypeError("a list cannot hold a list")
        return Item(kind, value.fen if isinstance(value, Money) else value)


@dataclass(frozen=True)
class Value(_Typed):
    """The value of one field: ``kind`` is its dictionary type (``text``,
    ``integer``, ``money`` (fen), ``decimal``, ``boolean``, ``date``,
    ``items``), ``value`` the Python value (a tuple of :class:`Item` for
    ``items``). Build one with :meth:`of` or the named constructors."""

    kind: str
    value: Any

    def __post_init__(self) -> None:
        if self.kind not in VALUE_KINDS:
            raise ValueError(f"{self.kind!r} is not a value kind: one of {', '.join(VALUE_KINDS)}")
        if self.kind == "items":
            if not isinstance(self.value, (list, tuple)):
                raise TypeError(f"an items value holds a list, not {type(self.value).__name__}")
            object.__setattr__(self, "value", tuple(Item.of(i) for i in self.value))
        else:
            object.__setattr__(self, "value", _checked(self.kind, self.value, "value"))

    @staticmethod
    def of(value: Any) -> "Value":
        """A value from plain Python (see the module's documentation)."""
        if isinstance(value, Value):
            return value
        kind = _kind_of(value)
        if kind == "money":
            return Value("money", value.fen)
        return Value(kind, value)

    @staticmethod
    def text(text: str) -> "Value":
        """A text (or choice, or coded identifier) value."""
        return Value("text", text)

    @staticmethod
    def integer(n: int) -> "Value":
        """A whole number."""
        return Value("integer", n)

    @staticmethod
    def money(amount: "Money | int") -> "Value":
        """An amount of money: a :class:`Money`, or a number of fen."""
        return Value("money", amount.fen if isinstance(amount, Money) else amount)

    @staticmethod
    def decimal(x: float) -> "Value":
        """A measure that is not money."""
        return Value("decimal", x)

    @staticmethod
    def boolean(b: bool) -> "Value":
        """Yes or no."""
        return Value("boolean", b)

    @staticmethod
    def date(d: Date) -> "Value":
        """A calendar date."""
        return Value("date", d)

    @staticmethod
    def items(items: Iterable[Any]) -> "Value":
        """A list value from anything :meth:`Item.of` takes:
        ``Value.items(["350206202610200021", "350206202410200011"])``."""
        return Value("items", [Item.of(i) for i in items])

    def as_items(self) -> Optional[tuple]:
        """The elements, if this is a list value."""
        return self.value if self.kind == "items" else None

    def is_finite_decimal(self) -> bool:
        """Whether this is a decimal that is neither NaN nor infinite."""
        return self.kind == "decimal" and math.isfinite(self.value)


@dataclass(frozen=True)
class Field:
    """One field of an application, named by its dictionary key."""

    key: str
    value: Value

    def __post_init__(self) -> None:
        if not isinstance(self.key, str):
            raise TypeError(f"a field's key is a str, not {type(self.key).__name__}")
        object.__setattr__(self, "value", Value.of(self.value))


@dataclass(frozen=True)
class Material:
    """A material (uploaded document) the applicant supplied: its code in
    the dictionary, content digest (``sha256:`` and 64 hex digits), media
    type and size in bytes."""

    code: str
    digest: str
    media_type: str
    size: int

    def __post_init__(self) -> None:
        check_unsigned(self.size, "a material's size", U64_MAX)
