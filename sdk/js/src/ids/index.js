// China's coded identifiers that departments read and issue: the resident
// ID number (GB 11643-1999), the unified social credit code (GB 32100-2015,
// with its embedded GB 11714 organisation code), bank card numbers, mobile
// phone numbers and postal codes. The same rules and problem codes as the
// host's data dictionary (`bad-length`, `bad-characters`, `bad-region`,
// `bad-birth-date`, `bad-check-digit`, `bad-card-number`, `bad-phone`,
// `bad-postal-code`), so a department refuses exactly what the host refuses.
// Values are checked as typed: nothing is trimmed or upper-cased.
//
// Validators throw an IdError; `tryValidate` gives it back instead. Not for
// typed field access: Fields wraps these into Problems.

import * as residentId from './resident-id.js';
import * as uscc from './uscc.js';
import * as orgCode from './org-code.js';
import * as bankCard from './bank-card.js';
import * as contact from './contact.js';

export { codes, IdError } from './error.js';
export { ResidentId, Sex } from './resident-id.js';
export { luhnCheckDigit, luhnValid } from './bank-card.js';

/** The GB 11643 check character of 17 digits, or undefined. @param {string} first17 */
export const residentIdCheckChar = residentId.checkChar;
/** The GB 32100 check character of 17 credit-code characters, or undefined. @param {string} first17 */
export const usccCheckChar = uscc.checkChar;
/** The GB 11714 check character of an 8-character body, or undefined. @param {string} body8 */
export const orgCodeCheckChar = orgCode.checkChar;

/** Verify a resident ID number; throws an IdError. @param {string} id */
export const validateResidentId = residentId.validate;
/** Verify a unified social credit code (not its embedded GB 11714 check); throws an IdError. @param {string} code */
export const validateUscc = uscc.validate;
/** Verify a nine-character organisation code (no hyphen); throws an IdError. @param {string} code */
export const validateOrgCode = orgCode.validate;
/** Verify a bank card number (12 to 19 digits, Luhn); throws an IdError. @param {string} card */
export const validateBankCard = bankCard.validate;
/** Verify a mainland mobile number (11 digits, 13 to 19); throws an IdError. @param {string} phone */
export const validateMobilePhone = contact.validateMobilePhone;
/** Verify a postal code (6 digits); throws an IdError. @param {string} code */
export const validatePostalCode = contact.validatePostalCode;

/**
 * Build a credit code (authority, kind, six-digit region, 8-character body);
 * throws an IdError.
 * @param {string} authority @param {string} kind @param {string} region @param {string} body8
 * @returns {string}
 */
export const buildUscc = uscc.build;

/**
 * The IdError `validate(text)` throws, or undefined when `text` is valid:
 * `tryValidate(ids.validateUscc, code)?.code`.
 * @param {(text: string) => void} validate
 * @param {string} text
 * @returns {import('./error.js').IdError | undefined}
 */
export function tryValidate(validate, text) {
  try {
    validate(text);
    return undefined;
  } catch (e) {
    if (e && e.name === 'IdError') return e;
    throw e;
  }
}
