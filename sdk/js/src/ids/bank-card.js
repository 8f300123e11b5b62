// Bank card numbers (ISO/IEC 7812): 12 to 19 ASCII digits whose last digit
// is the Luhn check digit over the others.
//
// Not for issuer identification nor for whether an account exists.

import { codes, IdError, charCount, debugChar, firstRefused, isAsciiDigit } from './error.js';

/** The fewest digits a bank card number has. */
export const MIN_LEN = 12;
/** The most digits a bank card number has. */
export const MAX_LEN = 19;

function luhnSum(digits, doubleLast) {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    const d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if ((i % 2 === 0) === doubleLast) {
      const x = d * 2;
      sum += x > 9 ? x - 9 : x;
    } else {
      sum += d;
    }
  }
  return sum;
}

/** The Luhn check digit to append to `payload` (ASCII digits), or undefined. @param {string} payload */
export function luhnCheckDigit(payload) {
  if (typeof payload !== 'string' || !/^[0-9]+$/.test(payload)) return undefined;
  return String((10 - (luhnSum(payload, true) % 10)) % 10);
}

/** Whether `number` (ASCII digits) passes the Luhn check. @param {string} number */
export function luhnValid(number) {
  return typeof number === 'string' && /^[0-9]+$/.test(number) && luhnSum(number, false) % 10 === 0;
}

/** Check a bank card number; throws an IdError. @param {string} card */
export function validate(card) {
  const n = charCount(card);
  if (n < MIN_LEN || n > MAX_LEN) {
    throw new IdError(
      codes.BAD_CARD_NUMBER,
      `银行卡号为 12 至 19 位数字；此号码有 ${n} 个字符`,
      `a bank card number has 12 to 19 digits; this one has ${n} characters`,
    );
  }
  const refused = firstRefused(card, isAsciiDigit);
  if (refused) {
    const [pos, c] = refused;
    throw new IdError(
      codes.BAD_CARD_NUMBER,
      `银行卡号只能是 12 至 19 位数字；第 ${pos} 位是 ${debugChar(c)}`,
      `a bank card number has 12 to 19 digits and nothing else; character ${pos} is ${debugChar(c)}`,
    );
  }
  if (!luhnValid(card)) {
    const last = card.slice(-1);
    const expected = luhnCheckDigit(card.slice(0, -1)) ?? '0';
    throw new IdError(
      codes.BAD_CHECK_DIGIT,
      `卡号未通过校验（Luhn）：最后一位是 ${last}，按前面的数字应为 ${expected}；请对照银行卡核对`,
      `the card number fails its check digit (Luhn): the last digit is ${last}, but for the digits before it it must be ${expected}; please check it against the card`,
    );
  }
}
