"""China's coded identifiers that departments read and issue: the resident
ID number (GB 11643-1999), the unified social credit code (GB 32100-2015,
with its embedded GB 11714 organisation code), bank card numbers, mobile
phone numbers and postal codes.

The host's own rules, in the host's order, with the host's problem codes
(:data:`ALL_CODES`): ``bad-length``, ``bad-characters``, ``bad-region``,
``bad-birth-date``, ``bad-check-digit``, ``bad-card-number``,
``bad-phone``, ``bad-postal-code``, so a department refuses exactly what
the host refuses. Values are checked as typed: a resident ID number
ending in a lowercase ``x`` is refused, since two departments must
compare the same text. Lengths count characters, not bytes.

Every ``validate_*`` returns ``None`` or raises :class:`IdError`. Parse a
number to read what it encodes (:meth:`ResidentId.parse`), or build a
new one with a correct check character (:meth:`ResidentId.build`,
:func:`build_uscc`). Not for typed field access:
:class:`onething_sdk.Fields` wraps these into problems.
"""

from ._common import (
    ALL_CODES,
    BAD_BIRTH_DATE,
    BAD_CARD_NUMBER,
    BAD_CHARACTERS,
    BAD_CHECK_DIGIT,
    BAD_LENGTH,
    BAD_PHONE,
    BAD_POSTAL_CODE,
    BAD_REGION,
    PROVINCES,
    IdError,
    is_resident_region,
    is_uscc_region,
)
from .cards import (
    luhn_check_digit,
    luhn_valid,
    validate_bank_card,
    validate_mobile_phone,
    validate_postal_code,
)
from .resident import ResidentId, Sex, resident_id_check_char, validate_resident_id
from .uscc import (
    CHARSET,
    build_uscc,
    org_code_check_char,
    uscc_check_char,
    validate_org_code,
    validate_uscc,
)

#: Each kind by its data dictionary ``format`` name, with its validator.
VALIDATORS = {
    "resident-id": validate_resident_id,
    "uscc": validate_uscc,
    "org-code": validate_org_code,
    "bank-card": validate_bank_card,
    "mobile-phone": validate_mobile_phone,
    "postal-code": validate_postal_code,
}

__all__ = [
    "ALL_CODES", "BAD_BIRTH_DATE", "BAD_CARD_NUMBER", "BAD_CHARACTERS", "BAD_CHECK_DIGIT",
    "BAD_LENGTH", "BAD_PHONE", "BAD_POSTAL_CODE", "BAD_REGION", "CHARSET", "PROVINCES",
    "VALIDATORS", "IdError", "ResidentId", "Sex", "build_uscc", "is_resident_region",
    "is_uscc_region", "luhn_check_digit", "luhn_valid", "org_code_check_char",
    "resident_id_check_char", "uscc_check_char", "validate_bank_card", "validate_mobile_phone",
    "validate_org_code", "validate_postal_code", "validate_resident_id", "validate_uscc",
]
