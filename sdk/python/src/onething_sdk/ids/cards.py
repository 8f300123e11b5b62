"""Numbers with a fixed shape: bank cards (12 to 19 digits, Luhn), mainland
mobile phones (11 digits starting 13 to 19) and postal codes (6 digits).

Only the shape and check digit, not whether the card, phone or postcode
exists; no spaces, hyphens or ``+86``.
"""

from __future__ import annotations

from typing import Optional

from .._rustlike import debug_char
from ._common import (
    BAD_CARD_NUMBER,
    BAD_CHECK_DIGIT,
    BAD_PHONE,
    BAD_POSTAL_CODE,
    IdError,
    first_refused,
    is_digit,
)


def _luhn_sum(digits: str, double_last: bool) -> int:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d)
        if (i % 2 == 0) == double_last:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total


def luhn_check_digit(payload: str) -> Optional[str]:
    """The Luhn check digit to append to ``payload`` (ASCII digits), or
    ``None`` if it is empty or holds anything else."""
    if not payload or not all(is_digit(c) for c in payload):
        return None
    return str((10 - _luhn_sum(payload, True) % 10) % 10)


def luhn_valid(number: str) -> bool:
    """Whether ``number`` (ASCII digits) passes the Luhn check."""
    return bool(number) and all(is_digit(c) for c in number) and _luhn_sum(number, False) % 10 == 0


def validate_bank_card(card: str) -> None:
    """Verify a bank card number: 12 to 19 ASCII digits passing the Luhn
    check. Raises :class:`IdError` (``bad-card-number``,
    ``bad-check-digit``)."""
    n = len(card)
    if not 12 <= n <= 19:
        raise IdError(
            BAD_CARD_NUMBER,
            f"银行卡号为 12 至 19 位数字；此号码有 {n} 个字符",
            f"a bank card number has 12 to 19 digits; this one has {n} characters",
        )
    refused = first_refused(card, is_digit)
    if refused is not None:
        pos, c = refused
        raise IdError(
            BAD_CARD_NUMBER,
            f"银行卡号只能是 12 至 19 位数字；第 {pos} 位是 {debug_char(c)}",
            f"a bank card number has 12 to 19 digits and nothing else; character {pos} is {debug_char(c)}",
        )
    if not luhn_valid(card):
        last, expected = card[-1], luhn_check_digit(card[:-1]) or "0"
        raise IdError(
            BAD_CHECK_DIGIT,
            f"卡号未通过校验（Luhn）：最后一位是 {last}，按前面的数字应为 {expected}；请对照银行卡核对",
            f"the card number fails its check digit (Luhn): the last digit is {last}, but for the "
            f"digits before it it must be {expected}; please check it against the card",
        )


def validate_mobile_phone(phone: str) -> None:
    """Verify a mainland mobile number: 11 ASCII digits starting 13 to 19.
    Raises :class:`IdError` (``bad-phone``)."""
    rule = "a mobile number has 11 digits and starts with 13 to 19"
    rule_zh = "手机号码为 11 位数字，以 13 至 19 开头"
    n = len(phone)
    if n != 11:
        raise IdError(BAD_PHONE, f"{rule_zh}；此号码有 {n} 个字符", f"{rule}; this one has {n} characters")
    refused = first_refused(phone, is_digit)
    if refused is not None:
        pos, c = refused
        raise IdError(
            BAD_PHONE,
            f"{rule_zh}，不能有其他字符；第 {pos} 位是 {debug_char(c)}",
            f"{rule}, and nothing else; character {pos} is {debug_char(c)}",
        )
    start = phone[:2]
    if not (start[0] == "1" and "3" <= start[1] <= "9"):
        raise IdError(BAD_PHONE, f"{rule_zh}；此号码以 {start} 开头", f"{rule}; this one starts with {start}")


def validate_postal_code(code: str) -> None:
    """Verify a postal code: 6 ASCII digits. Raises :class:`IdError`
    (``bad-postal-code``)."""
    rule = "a postal code has 6 digits"
    rule_zh = "邮政编码为 6 位数字"
    n = len(code)
    if n != 6:
        raise IdError(BAD_POSTAL_CODE, f"{rule_zh}；此处有 {n} 个字符", f"{rule}; this one has {n} characters")
    refused = first_refused(code, is_digit)
    if refused is not None:
        pos, c = refused
        raise IdError(
            BAD_POSTAL_CODE,
            f"{rule_zh}；第 {pos} 位是 {debug_char(c)}",
            f"{rule}; character {pos} is {debug_char(c)}",
        )
