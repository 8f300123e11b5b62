"""The citizen's resident ID number (公民身份号码), GB 11643-1999: a
six-digit region code, the birth date ``YYYYMMDD``, a three-digit
sequence (odd for men, even for women) and a check character (a digit or
a capital ``X``) over the first 17 digits.

Checked as typed, in the host's order (length, characters, region, birth
date, check character), the first failing check reported: nothing is
trimmed, and a lowercase ``x`` is refused (``bad-characters``).
"""

from __future__ import annotations

import enum
from typing import Optional

from .._rustlike import debug_char, debug_str
from ..date import Date
from ._common import (
    BAD_BIRTH_DATE,
    BAD_CHARACTERS,
    BAD_CHECK_DIGIT,
    BAD_LENGTH,
    BAD_REGION,
    IdError,
    is_digit,
    is_resident_region,
)

LEN = 18
MIN_BIRTH_YEAR = 1900
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def resident_id_check_char(first17: str) -> Optional[str]:
    """The check character of the first 17 digits, or ``None`` if
    ``first17`` is not 17 ASCII digits."""
    if len(first17) != 17 or not all(is_digit(c) for c in first17):
        return None
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS)) % 11]


def _check(id: str) -> Date:
    n = len(id)
    if n != LEN:
        if n == 15 and all(is_digit(c) for c in id):
            hint = " (a first-generation 15-digit number is no longer valid: give the 18-digit one)"
            hint_zh = "（第一代 15 位号码已不再有效：请填写 18 位号码）"
        else:
            hint = hint_zh = ""
        raise IdError(
            BAD_LENGTH,
            f"居民身份证号码应为 18 位，此号码为 {n} 位{hint_zh}",
            f"a resident ID number has 18 characters; this one has {n}{hint}",
        )
    for i, c in enumerate(id):
        if i < LEN - 1 and not is_digit(c):
            raise IdError(
                BAD_CHARACTERS,
                f"居民身份证号码前 17 位须为数字；第 {i + 1} 位是 {debug_char(c)}",
                "the first 17 characters of a resident ID number must be digits; "
                f"character {i + 1} is {debug_char(c)}",
            )
        if i == LEN - 1 and c == "x":
            raise IdError(
                BAD_CHARACTERS,
                "居民身份证号码最后一位须为数字或大写 X：校验码请写大写 X，不要写小写 x",
                "the last character of a resident ID number must be a digit or a capital X: "
                "write the check character as a capital X, not a lowercase x",
            )
        if i == LEN - 1 and not (is_digit(c) or c == "X"):
            raise IdError(
                BAD_CHARACTERS,
                f"居民身份证号码最后一位须为数字或大写 X；此处是 {debug_char(c)}",
                "the last character of a resident ID number must be a digit or a capital X; "
                f"it is {debug_char(c)}",
            )
    region, date_digits, first17, last = id[:6], id[6:14], id[:17], id[17:]
    if not is_resident_region(region):
        raise IdError(
            BAD_REGION,
            f"{region[:2]} 不是省级行政区划代码（居民身份证号码前两位，如北京为 11）",
            f"{region[:2]} is not a province code (the first two digits of a resident ID number, "
            "e.g. 11 for Beijing)",
        )
    birth = Date.parse_compact(date_digits)
    if birth is None:
        raise IdError(
            BAD_BIRTH_DATE,
            f"第 7 至 14 位（{date_digits}）不是有效日期：应为出生日期 YYYYMMDD",
            f"digits 7 to 14 ({date_digits}) are not a real date: they must be the date of "
            "birth as YYYYMMDD",
        )
    if birth.year < MIN_BIRTH_YEAR:
        raise IdError(
            BAD_BIRTH_DATE,
            f"第 7 至 14 位（{date_digits}）表示的出生年份早于 {MIN_BIRTH_YEAR} 年：请核对出生日期",
            f"digits 7 to 14 ({date_digits}) give a birth year before {MIN_BIRTH_YEAR}: "
            "please check the date of birth",
        )
    expected = resident_id_check_char(first17)
    if last != expected:
        raise IdError(
            BAD_CHECK_DIGIT,
            f"校验码为 {last}，但按前 17 位应为 {expected}（GB 11643-1999）",
            f"the check digit is {last}, but for these first 17 digits it must be {expected} "
            "(GB 11643-1999)",
        )
    return birth


def validate_resident_id(id: str) -> None:
    """Check a resident ID number; raises :class:`IdError`."""
    _check(id)


class Sex(enum.Enum):
    """Sex as the parity of the sequence encodes it (odd: male)."""

    MALE = "male"
    FEMALE = "female"

    @property
    def code(self) -> str:
        """The data dictionary's choice code: ``male`` or ``female``."""
        return self.value

    @staticmethod
    def from_code(code: str) -> Optional["Sex"]:
        """From the dictionary's choice code, ``None`` for anything else."""
        return {"male": Sex.MALE, "female": Sex.FEMALE}.get(code)

    @staticmethod
    def of_sequence(sequence: int) -> "Sex":
        """The sex a sequence number encodes."""
        return Sex.MALE if sequence % 2 == 1 else Sex.FEMALE


class ResidentId:
    """A resident ID number that passed the checks, with what it encodes.
    ``str()`` gives the number as typed."""

    __slots__ = ("_number", "_birth_date", "_sequence")

    def __init__(self, number: str, birth_date: Date, sequence: int) -> None:
        self._number = number
        self._birth_date = birth_date
        self._sequence = sequence

    @staticmethod
    def parse(text: str) -> "ResidentId":
        """Parse and verify an 18-character number exactly as given;
        raises :class:`IdError`."""
        birth = _check(text)
        return ResidentId(text, birth, int(text[14:17]))

    @staticmethod
    def build(region: str, birth_date: Date, sequence: int) -> "ResidentId":
        """Build a number from a six-digit region code (province-level), a
        birth date (1900 to 9999) and a sequence (0 to 999; its parity
        encodes sex, so choose it to match), computing the check
        character. Raises :class:`IdError` (``bad-region``,
        ``bad-birth-date``, ``bad-length`` for a sequence over 999)."""
        if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 0:
            raise ValueError(f"the sequence is an int from 0 to 999, not {sequence!r}")
        if not is_resident_region(region):
            raise IdError(
                BAD_REGION,
                f"居民身份证号码的地区码为以省级代码开头的六位数字；{debug_str(region)} 不是",
                "the region of a resident ID number is six digits starting with a province "
                f"code; {debug_str(region)} is not",
            )
        b = birth_date
        if not b.is_valid():
            raise IdError(
                BAD_BIRTH_DATE,
                f"出生日期须为有效日期；{b.year}-{b.month}-{b.day} 不是",
                f"the birth date must be a real date; {b.year}-{b.month}-{b.day} is not",
            )
        if not MIN_BIRTH_YEAR <= b.year <= 9999:
            raise IdError(
                BAD_BIRTH_DATE,
                f"出生年份须在 {MIN_BIRTH_YEAR} 至 9999 之间；此处为 {b.year}",
                f"the birth year must be {MIN_BIRTH_YEAR} to 9999; it is {b.year}",
            )
        if sequence > 999:
            raise IdError(
                BAD_LENGTH,
                f"顺序码为三位数字（0 至 999）；{sequence} 超出范围",
                f"the sequence number has three digits (0 to 999); {sequence} does not fit",
            )
        first17 = f"{region}{b.compact()}{sequence:03d}"
        return ResidentId(first17 + resident_id_check_char(first17), b, sequence)

    @property
    def number(self) -> str:
        """The whole number."""
        return self._number

    @property
    def region(self) -> str:
        """The six-digit region code of the registered household at issue."""
        return self._number[:6]

    @property
    def birth_date(self) -> Date:
        """The date of birth."""
        return self._birth_date

    @property
    def sequence(self) -> int:
        """The three-digit sequence number (0 to 999)."""
        return self._sequence

    @property
    def sex(self) -> Sex:
        """The sex the sequence's parity encodes."""
        return Sex.of_sequence(self._sequence)

    def __str__(self) -> str:
        return self._number

    def __repr__(self) -> str:
        return f"ResidentId({self._number!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ResidentId) and other._number == self._number

    def __hash__(self) -> int:
        return hash(self._number)
