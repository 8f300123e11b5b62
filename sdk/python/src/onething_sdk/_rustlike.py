"""Where Python and the Rust SDK differ by default, made to agree.

The shared test vectors hold every SDK to the Rust SDK's answers, so the
few places where Python's built-ins answer differently are done here the
Rust way: which characters are whitespace (``str.trim``), how a character
or a string is quoted in a message (``{c:?}``), ASCII-only digits, and
the bounds of the contract's ``s64``/``u32``/``u64`` numbers.
"""

from __future__ import annotations

import unicodedata

#: The Unicode White_Space characters, which Rust's ``str::trim`` removes
#: (Python's ``str.strip()`` also removes U+001C to U+001F).
WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

S64_MIN = -(1 << 63)
S64_MAX = (1 << 63) - 1
U32_MAX = (1 << 32) - 1
U64_MAX = (1 << 64) - 1


def trim(text: str) -> str:
    """``text`` without leading and trailing whitespace, as Rust trims it."""
    return text.strip(WHITESPACE)


def is_blank(text: str) -> bool:
    """Whether ``text`` is empty or only whitespace."""
    return not trim(text)


def is_ascii_digit(c: str) -> bool:
    """Whether ``c`` is one of ``0`` to ``9`` (not any Unicode digit)."""
    return "0" <= c <= "9" and len(c) == 1


def is_ascii_digits(text: str) -> bool:
    """Whether ``text`` is non-empty and only ASCII digits."""
    return bool(text) and all("0" <= c <= "9" for c in text)


def _escape(c: str, quote: str) -> str:
    if c == "\\":
        return "\\\\"
    if c == quote:
        return "\\" + quote
    if c == "\n":
        return "\\n"
    if c == "\r":
        return "\\r"
    if c == "\t":
        return "\\t"
    if c == "\0":
        return "\\0"
    if c != " " and unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"):
        return "\\u{%x}" % ord(c)
    return c


def debug_char(c: str) -> str:
    """A character as Rust's ``{c:?}`` writes it: ``'a'``, ``'\\''``."""
    return "'" + _escape(c, "'") + "'"


def debug_str(text: str) -> str:
    """A string as Rust's ``{s:?}`` writes it: ``"35020"``."""
    return '"' + "".join(_escape(c, '"') for c in text) + '"'


def check_s64(n: object, what: str) -> int:
    """``n`` if it is an integer (not a bool) the contract's ``s64`` holds,
    else a ``TypeError``/``ValueError`` naming ``what``."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{what} must be an int, not {type(n).__name__}")
    if not S64_MIN <= n <= S64_MAX:
        raise ValueError(f"{what} {n} does not fit the contract's s64 (-2^63 to 2^63-1)")
    return n


def check_unsigned(n: object, what: str, bound: int) -> int:
    """``n`` if it is an int from 0 to ``bound``, else an error naming ``what``."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{what} must be an int, not {type(n).__name__}")
    if not 0 <= n <= bound:
        raise ValueError(f"{what} {n} must be 0 to {bound}")
    return n
