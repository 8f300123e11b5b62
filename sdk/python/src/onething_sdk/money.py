"""Exact amounts of money: :class:`Money`, a number of fen (1/100 yuan),
the contract's ``value.money``. Never a float: ¥12,345.67 is 1,234,567 fen.

Not for currencies other than the yuan, nor for measures that are not
money (those are ``decimal``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ._rustlike import S64_MAX, check_s64, debug_str, trim


class MoneyError(ValueError):
    """Why a text is not an amount of yuan. ``kind`` is one of ``empty``,
    ``malformed``, ``too-precise``, ``too-large``; ``text`` what was given."""

    def __init__(self, kind: str, text: str) -> None:
        self.kind = kind
        self.text = text
        quoted = debug_str(text)
        super().__init__(
            {
                "empty": "no amount given",
                "malformed": f"{quoted} is not an amount of yuan (digits, at most two decimals: 12345.67)",
                "too-precise": f"{quoted} has more than two decimals; fen are the smallest unit",
                "too-large": f"{quoted} is too large an amount",
            }[kind]
        )


def _ascii_digits(text: str) -> bool:
    return all("0" <= c <= "9" for c in text)


@dataclass(frozen=True, order=True)
class Money:
    """An amount of money in fen. ``str()`` gives yuan with two decimals,
    no separators: ``12345.67``, ``-0.05``."""

    fen: int

    def __post_init__(self) -> None:
        check_s64(self.fen, "an amount in fen")

    @staticmethod
    def from_fen(fen: int) -> "Money":
        """An amount of ``fen``."""
        return Money(fen)

    @staticmethod
    def from_whole_yuan(yuan: int) -> "Money | None":
        """An amount of whole yuan, ``None`` if it does not fit."""
        fen = yuan * 100
        return Money(fen) if -(1 << 63) <= fen <= S64_MAX else None

    @staticmethod
    def from_yuan(text: str) -> "Money":
        """Parse yuan written ``12345.67``, ``12345.6``, ``12345``, ``-3.50`` or
        with thousands separators (``12,345.67``); at most two decimals, no
        rounding. Raises :class:`MoneyError`."""
        t = trim(text)
        if not t:
            raise MoneyError("empty", text)
        if t.startswith("-"):
            negative, unsigned = True, t[1:]
        else:
            negative, unsigned = False, t[1:] if t.startswith("+") else t
        whole, dot, decimals = unsigned.partition(".")
        whole = whole.replace(",", "")
        if (
            not whole
            or not _ascii_digits(whole)
            or not _ascii_digits(decimals)
            or (dot and not decimals)
        ):
            raise MoneyError("malformed", text)
        if len(decimals) > 2:
            raise MoneyError("too-precise", text)
        if len(whole.lstrip("0")) > 19:
            raise MoneyError("too-large", text)
        total = int(whole) * 100 + int(decimals.ljust(2, "0"))
        if total > S64_MAX:
            raise MoneyError("too-large", text)
        return Money(-total if negative else total)

    def __str__(self) -> str:
        sign = "-" if self.fen < 0 else ""
        whole, cents = divmod(abs(self.fen), 100)
        return f"{sign}{whole}.{cents:02d}"
