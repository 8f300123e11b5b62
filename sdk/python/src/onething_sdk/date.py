"""Calendar dates: the contract's ``date`` record, and the arithmetic
department rules need ("under six months old", "not in the future").

Proleptic Gregorian, no time zones (the host's clock already answers
"today" in its configured zone: :func:`onething_sdk.clock.today`). Not a
general date library; :class:`datetime.date` is fine for anything else,
and :meth:`Date.to_python` / :meth:`Date.from_python` convert.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Optional


def is_leap_year(year: int) -> bool:
    """Whether ``year`` is a leap year of the Gregorian calendar."""
    return (year % 4 == 0 and year % 100 != 0) or year % 400 == 0


def days_in_month(year: int, month: int) -> int:
    """Number of days in ``month`` (1 to 12) of ``year``; 0 for a month out
    of range."""
    if month in (1, 3, 5, 7, 8, 10, 12):
        return 31
    if month in (4, 6, 9, 11):
        return 30
    if month == 2:
        return 29 if is_leap_year(year) else 28
    return 0


def _rust_int(raw: bytes, signed: bool) -> Optional[int]:
    """``raw`` parsed as Rust's ``str::parse`` does for an integer: an
    optional ``+`` (or ``-`` when signed), then ASCII digits only."""
    if raw[:1] == b"+" or (signed and raw[:1] == b"-"):
        sign, digits = raw[:1], raw[1:]
    else:
        sign, digits = b"", raw
    if not digits or not all(0x30 <= b <= 0x39 for b in digits):
        return None
    n = int(digits)
    return -n if sign == b"-" else n


@dataclass(frozen=True, order=True)
class Date:
    """A calendar date. Ordered as the calendar is; ``str()`` gives
    ``YYYY-MM-DD``. The constructor does not check the date exists: use
    :meth:`from_ymd` or :meth:`parse` for that."""

    year: int
    month: int
    day: int

    @staticmethod
    def from_ymd(year: int, month: int, day: int) -> Optional["Date"]:
        """The date, or ``None`` if no such day exists."""
        d = Date(year, month, day)
        return d if d.is_valid() else None

    def is_valid(self) -> bool:
        """Whether the date exists (month 1 to 12, day within the month)."""
        return 1 <= self.month <= 12 and 1 <= self.day <= days_in_month(self.year, self.month)

    @staticmethod
    def parse(text: str) -> Optional["Date"]:
        """Parse ``YYYY-MM-DD``; ``None`` if it is not a date that exists."""
        raw = text.encode("utf-8")
        if len(raw) != 10 or raw[4:5] != b"-" or raw[7:8] != b"-":
            return None
        year = _rust_int(raw[0:4], signed=True)
        month = _rust_int(raw[5:7], signed=False)
        day = _rust_int(raw[8:10], signed=False)
        if year is None or month is None or day is None:
            return None
        return Date.from_ymd(year, month, day)

    @staticmethod
    def parse_compact(text: str) -> Optional["Date"]:
        """Parse the compact ``YYYYMMDD`` form used inside resident ID numbers."""
        if len(text) != 8 or not all("0" <= c <= "9" for c in text):
            return None
        return Date.from_ymd(int(text[0:4]), int(text[4:6]), int(text[6:8]))

    def compact(self) -> str:
        """The compact ``YYYYMMDD`` form."""
        return f"{self.year:04d}{self.month:02d}{self.day:02d}"

    def days_since_epoch(self) -> int:
        """Days since 1970-01-01 (negative before it)."""
        # Howard Hinnant's days_from_civil.
        y = self.year - (1 if self.month <= 2 else 0)
        era = y // 400
        yoe = y - era * 400
        m = self.month
        mp = m - 3 if m > 2 else m + 9
        doy = (153 * mp + 2) // 5 + self.day - 1
        doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
        return era * 146_097 + doe - 719_468

    @staticmethod
    def from_days_since_epoch(days: int) -> "Date":
        """The date ``days`` after 1970-01-01."""
        # Howard Hinnant's civil_from_days.
        z = days + 719_468
        era = z // 146_097
        doe = z - era * 146_097
        yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
        doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
        mp = (5 * doy + 2) // 153
        day = doy - (153 * mp + 2) // 5 + 1
        month = mp + 3 if mp < 10 else mp - 9
        year = yoe + era * 400 + (1 if month <= 2 else 0)
        return Date(year, month, day)

    def add_days(self, days: int) -> "Date":
        """The date ``days`` later (earlier if negative)."""
        return Date.from_days_since_epoch(self.days_since_epoch() + days)

    def add_months(self, months: int) -> "Date":
        """The same day ``months`` later (earlier if negative), moved back to
        the month's last day where it has fewer (2026-08-31 + 6 months is
        2027-02-28)."""
        index = self.year * 12 + self.month - 1 + months
        year, month0 = divmod(index, 12)
        month = month0 + 1
        return Date(year, month, min(self.day, days_in_month(year, month)))

    def days_until(self, later: "Date") -> int:
        """Days from this date to ``later`` (negative if ``later`` is earlier)."""
        return later.days_since_epoch() - self.days_since_epoch()

    def years_until(self, on: "Date") -> int:
        """Whole years from this date to ``on`` (an age on a given day)."""
        years = on.year - self.year
        if (on.month, on.day) < (self.month, self.day):
            years -= 1
        return years

    def to_python(self) -> _dt.date:
        """As a :class:`datetime.date` (years 1 to 9999 only)."""
        return _dt.date(self.year, self.month, self.day)

    @staticmethod
    def from_python(d: _dt.date) -> "Date":
        """From a :class:`datetime.date` (or ``datetime``: its date)."""
        return Date(d.year, d.month, d.day)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
