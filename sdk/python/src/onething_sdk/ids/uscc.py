"""The unified social credit code (统一社会信用代码), GB 32100-2015, and
the organisation code (组织机构代码), GB 11714-1997, embedded in it as
characters 9 to 17.

A credit code is 18 characters from a 31-character set (digits and
capitals but I, O, S, V, Z): registration authority, kind, six-digit
region (province-level or national ``10``), the eight-character
organisation body and its GB 11714 check character, then the GB 32100
check character. :func:`validate_uscc` does not check the embedded
GB 11714 character, as the host does not.
"""

from __future__ import annotations

from typing import Optional

from .._rustlike import debug_char, debug_str
from ._common import (
    BAD_CHARACTERS,
    BAD_CHECK_DIGIT,
    BAD_LENGTH,
    BAD_REGION,
    IdError,
    first_refused,
    is_digit,
    is_uscc_region,
)

#: The 31 characters of a credit code, in value order.
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


#: Each character's value, for one lookup per character (a call in a
#: component pays for every bytecode: this is on every credit code read).
_USCC_VALUES = {c: i for i, c in enumerate(CHARSET)}


def _uscc_value(c: str) -> Optional[int]:
    return _USCC_VALUES.get(c)


def _org_value(c: str) -> Optional[int]:
    if "0" <= c <= "9":
        return ord(c) - ord("0")
    if "A" <= c <= "Z":
        return ord(c) - ord("A") + 10
    return None


def uscc_check_char(first17: str) -> Optional[str]:
    """The GB 32100 check character of the first 17 characters, or
    ``None`` if they are not 17 characters of the code's set."""
    if len(first17) != 17:
        return None
    values = [_USCC_VALUES.get(c) for c in first17]
    if None in values:
        return None
    total = sum(v * w for v, w in zip(values, _USCC_WEIGHTS))
    return CHARSET[(31 - total % 31) % 31]


def org_code_check_char(body8: str) -> Optional[str]:
    """The GB 11714 check character (``0``–``9`` or ``X``) of an
    eight-character body of digits and capitals, or ``None``."""
    if len(body8) != 8:
        return None
    total = 0
    for c, w in zip(body8, _ORG_WEIGHTS):
        v = _org_value(c)
        if v is None:
            return None
        total += v * w
    n = 11 - total % 11
    return "X" if n == 10 else "0" if n == 11 else str(n)


def validate_uscc(code: str) -> None:
    """Verify a credit code: 18 characters of the set, a real region, the
    right check character. Raises :class:`IdError`."""
    n = len(code)
    if n != 18:
        raise IdError(
            BAD_LENGTH,
            f"统一社会信用代码应为 18 位，此代码为 {n} 位",
            f"a unified social credit code has 18 characters; this one has {n}",
        )
    refused = None if all(c in _USCC_VALUES for c in code) else first_refused(code, lambda c: c in _USCC_VALUES)
    if refused is not None:
        pos, c = refused
        lower = "a" <= c <= "z"
        hint, hint_zh = (": write letters as capitals", "：字母请写成大写") if lower else ("", "")
        raise IdError(
            BAD_CHARACTERS,
            f"统一社会信用代码中不能出现 {debug_char(c)}（第 {pos} 位；可用数字和除 I、O、S、V、Z 外的大写字母）{hint_zh}",
            f"{debug_char(c)} (character {pos}) cannot appear in a unified social credit code "
            f"(digits and capitals except I, O, S, V, Z){hint}",
        )
    region, first17, last = code[2:8], code[:17], code[17:]
    if not is_uscc_region(region):
        raise IdError(
            BAD_REGION,
            "统一社会信用代码第 3 至 8 位为登记管理机关行政区划码，应为以省级代码或 10 开头的六位数字；"
            f"{region} 不是",
            "characters 3 to 8 of a unified social credit code are the region code, six digits "
            f"starting with a province code or 10; {region} is not one",
        )
    expected = uscc_check_char(first17)
    if last != expected:
        raise IdError(
            BAD_CHECK_DIGIT,
            f"校验码为 {last}，但按前 17 位应为 {expected}（GB 32100-2015）",
            f"the check character is {last}, but for these first 17 characters it must be "
            f"{expected} (GB 32100-2015)",
        )


def validate_org_code(code: str) -> None:
    """Verify a nine-character GB 11714 organisation code (no hyphen).
    Raises :class:`IdError`."""
    n = len(code)
    if n != 9:
        raise IdError(
            BAD_LENGTH,
            f"组织机构代码应为 9 位（8 位本体加 1 位校验码，不带连字符），此代码为 {n} 位",
            "an organisation code has 9 characters (8, then the check character, without a "
            f"hyphen); this one has {n}",
        )
    for i, c in enumerate(code):
        if i < 8 and _org_value(c) is None:
            raise IdError(
                BAD_CHARACTERS,
                f"组织机构代码前 8 位须为数字或大写字母；第 {i + 1} 位是 {debug_char(c)}",
                "the first 8 characters of an organisation code must be digits or capital "
                f"letters; character {i + 1} is {debug_char(c)}",
            )
        if i == 8 and not (is_digit(c) or c == "X"):
            raise IdError(
                BAD_CHARACTERS,
                f"组织机构代码最后一位须为数字或大写 X；此处是 {debug_char(c)}",
                "the last character of an organisation code must be a digit or a capital X; "
                f"it is {debug_char(c)}",
            )
    body, last = code[:8], code[8:]
    expected = org_code_check_char(body)
    if last != expected:
        raise IdError(
            BAD_CHECK_DIGIT,
            f"校验码为 {last}，但按前 8 位应为 {expected}（GB 11714-1997）",
            f"the check character is {last}, but for these first 8 characters it must be "
            f"{expected} (GB 11714-1997)",
        )


def build_uscc(authority: str, kind: str, region: str, body8: str) -> str:
    """Build a credit code: registration authority (``9``: market
    regulation), organisation kind (``1`` enterprise, ``2`` individual
    business, ``3`` farmers' cooperative), the six-digit region code and
    the eight-character organisation body (e.g. ``MA`` and six more, as
    newly registered bodies have); both check characters are computed.
    Raises :class:`IdError`."""
    for what, what_zh, c in (
        ("registration authority", "登记管理部门", authority),
        ("kind", "机构类别", kind),
    ):
        if not isinstance(c, str) or len(c) != 1:
            raise ValueError(f"the {what} code is one character, not {c!r}")
        if _uscc_value(c) is None:
            raise IdError(
                BAD_CHARACTERS,
                f"{what_zh}代码 {debug_char(c)} 不是统一社会信用代码可用的字符（数字和除 I、O、S、V、Z 外的大写字母）",
                f"the {what} code {debug_char(c)} is not a unified social credit code character "
                "(digits and capitals except I, O, S, V, Z)",
            )
    if not is_uscc_region(region):
        raise IdError(
            BAD_REGION,
            f"行政区划码为以省级代码或 10 开头的六位数字；{debug_str(region)} 不是",
            "the region code is six digits starting with a province code or 10; "
            f"{debug_str(region)} is not one",
        )
    n = len(body8)
    if n != 8:
        raise IdError(
            BAD_LENGTH,
            f"组织机构主体代码应为 8 位，此处为 {n} 位",
            f"the organisation body has 8 characters; this one has {n}",
        )
    refused = first_refused(body8, lambda c: _uscc_value(c) is not None)
    if refused is not None:
        pos, c = refused
        raise IdError(
            BAD_CHARACTERS,
            f"统一社会信用代码中不能出现 {debug_char(c)}（组织机构主体代码第 {pos} 位；可用数字和除 I、O、S、V、Z 外的大写字母）",
            f"{debug_char(c)} (character {pos} of the organisation body) cannot appear in a "
            "unified social credit code (digits and capitals except I, O, S, V, Z)",
        )
    first17 = f"{authority}{kind}{region}{body8}{org_code_check_char(body8)}"
    return first17 + uscc_check_char(first17)
