"""OneThing's own identifiers, by the host's rules: kebab-case ids
(departments, steps, material codes) of at most 64 bytes, dictionary keys
of at most 128 bytes, and Semantic Versioning 2.0.0 versions. Used to
lint a manifest before the host sees it."""

from __future__ import annotations

MAX_ID_LEN = 64
MAX_KEY_LEN = 128


def _lower_digit(c: str, extra: str) -> bool:
    return "a" <= c <= "z" or "0" <= c <= "9" or c in extra


def is_kebab(s: str) -> bool:
    """1 to 64 bytes of ``[a-z0-9-]``, no leading, trailing or double hyphen."""
    return (
        bool(s)
        and len(s.encode("utf-8")) <= MAX_ID_LEN
        and all(_lower_digit(c, "-") for c in s)
        and not s.startswith("-")
        and not s.endswith("-")
        and "--" not in s
    )


def is_key(s: str) -> bool:
    """Two or more dot-separated, non-empty segments of ``[a-z0-9_]``, at
    most 128 bytes in all (``mother.id_number``)."""
    return (
        len(s.encode("utf-8")) <= MAX_KEY_LEN
        and "." in s
        and all(seg and all(_lower_digit(c, "_") for c in seg) for seg in s.split("."))
    )


def _digits(s: str) -> bool:
    return bool(s) and all("0" <= c <= "9" for c in s)


def _number(s: str) -> bool:
    return _digits(s) and (s == "0" or not s.startswith("0"))


def _ident(s: str) -> bool:
    return bool(s) and all(c.isascii() and (c.isalnum() or c == "-") for c in s)


def is_semver(s: str) -> bool:
    """``MAJOR.MINOR.PATCH``, optionally ``-pre`` and ``+build``."""
    rest, _, build = s.partition("+")
    has_build = "+" in s
    core, _, pre = rest.partition("-")
    has_pre = "-" in rest
    numbers = core.split(".")
    return (
        len(numbers) == 3
        and all(_number(n) for n in numbers)
        and (not has_pre or all(_ident(i) and (not _digits(i) or _number(i)) for i in pre.split(".")))
        and (not has_build or all(_ident(i) for i in build.split(".")))
    )
