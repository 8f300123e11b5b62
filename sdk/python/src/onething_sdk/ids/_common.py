"""What every identifier rule shares: :class:`IdError` and its stable
codes, the province-level region table (GB/T 2260 prefixes), and
counting and scanning by characters (not bytes), as the host does."""

from __future__ import annotations

from typing import Callable, Optional, Tuple

from ..text import Text

BAD_LENGTH = "bad-length"
BAD_CHARACTERS = "bad-characters"
BAD_REGION = "bad-region"
BAD_BIRTH_DATE = "bad-birth-date"
BAD_CHECK_DIGIT = "bad-check-digit"
BAD_CARD_NUMBER = "bad-card-number"
BAD_PHONE = "bad-phone"
BAD_POSTAL_CODE = "bad-postal-code"

#: Every code an :class:`IdError` carries, in the host's order.
ALL_CODES = (
    BAD_LENGTH,
    BAD_CHARACTERS,
    BAD_REGION,
    BAD_BIRTH_DATE,
    BAD_CHECK_DIGIT,
    BAD_CARD_NUMBER,
    BAD_PHONE,
    BAD_POSTAL_CODE,
)

#: Province-level codes valid as the first two digits of a region code:
#: the 31 provinces, autonomous regions and municipalities, Taiwan (71),
#: Hong Kong (81) and Macao (82).
PROVINCES = frozenset(
    [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
     50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82]
)

#: A credit code's region prefix for a national registration (``100000``).
NATIONAL = 10


class IdError(ValueError):
    """Why a coded identifier is not well-formed: a stable machine ``code``
    (one of :data:`ALL_CODES`) for a problem, and a message for the
    applicant in English (``message``, also ``str()``) and Chinese
    (``message_zh``). The message may change; the code does not."""

    def __init__(self, code: str, message_zh: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.message_zh = message_zh

    def text(self) -> Text:
        """The message in both languages."""
        return Text(self.message_zh, self.message)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IdError):
            return NotImplemented
        return (self.code, self.message, self.message_zh) == (other.code, other.message, other.message_zh)

    def __hash__(self) -> int:
        return hash((self.code, self.message))


def is_digit(c: str) -> bool:
    """An ASCII digit (not any Unicode digit)."""
    return "0" <= c <= "9"


def is_six_digits(code: str) -> bool:
    """Six ASCII digits."""
    return len(code) == 6 and all(is_digit(c) for c in code)


def is_resident_region(code: str) -> bool:
    """Six ASCII digits whose first two are a province code."""
    return is_six_digits(code) and int(code[:2]) in PROVINCES


def is_uscc_region(code: str) -> bool:
    """Six ASCII digits whose first two are a province code or ``10``."""
    return is_six_digits(code) and (int(code[:2]) == NATIONAL or int(code[:2]) in PROVINCES)


def first_refused(text: str, allowed: Callable[[str], bool]) -> Optional[Tuple[int, str]]:
    """``(position from 1, character)`` of the first character refused."""
    for i, c in enumerate(text):
        if not allowed(c):
            return i + 1, c
    return None
