// The organisation code (组织机构代码), GB 11714-1997: an eight-character
// body of digits and capital letters and a check character (a digit or X).
// Since 2015 it lives on as characters 9 to 17 of a credit code.
//
// Not for the printed form with a hyphen (refused as bad-length).

import { codes, IdError, charCount, chars, debugChar, isAsciiDigit } from './error.js';

/** The number of characters of an organisation code (body and check). */
export const LEN = 9;
const WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2];

function value(c) {
  if (c.length === 1 && c >= '0' && c <= '9') return c.charCodeAt(0) - 48;
  if (c.length === 1 && c >= 'A' && c <= 'Z') return c.charCodeAt(0) - 65 + 10;
  return undefined;
}

/**
 * The GB 11714 check character of an eight-character body, or undefined for
 * anything but 8 digits and capitals.
 * @param {string} body8
 * @returns {string | undefined}
 */
export function checkChar(body8) {
  if (typeof body8 !== 'string' || charCount(body8) !== 8) return undefined;
  let sum = 0;
  const list = chars(body8);
  for (let i = 0; i < 8; i++) {
    const v = value(list[i]);
    if (v === undefined) return undefined;
    sum += v * WEIGHTS[i];
  }
  const n = 11 - (sum % 11);
  if (n === 10) return 'X';
  if (n === 11) return '0';
  return String(n);
}

/** Check a nine-character organisation code; throws an IdError. @param {string} code */
export function validate(code) {
  const n = charCount(code);
  if (n !== LEN) {
    throw new IdError(
      codes.BAD_LENGTH,
      `组织机构代码应为 9 位（8 位本体加 1 位校验码，不带连字符），此代码为 ${n} 位`,
      `an organisation code has 9 characters (8, then the check character, without a hyphen); this one has ${n}`,
    );
  }
  const list = chars(code);
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if (i < LEN - 1 && value(c) === undefined) {
      throw new IdError(
        codes.BAD_CHARACTERS,
        `组织机构代码前 8 位须为数字或大写字母；第 ${i + 1} 位是 ${debugChar(c)}`,
        `the first 8 characters of an organisation code must be digits or capital letters; character ${i + 1} is ${debugChar(c)}`,
      );
    }
    if (i === LEN - 1 && !(isAsciiDigit(c) || c === 'X')) {
      throw new IdError(
        codes.BAD_CHARACTERS,
        `组织机构代码最后一位须为数字或大写 X；此处是 ${debugChar(c)}`,
        `the last character of an organisation code must be a digit or a capital X; it is ${debugChar(c)}`,
      );
    }
  }
  const body = code.slice(0, 8);
  const last = code.slice(8);
  const expected = checkChar(body);
  if (last !== expected) {
    throw new IdError(
      codes.BAD_CHECK_DIGIT,
      `校验码为 ${last}，但按前 8 位应为 ${expected}（GB 11714-1997）`,
      `the check character is ${last}, but for these first 8 characters it must be ${expected} (GB 11714-1997)`,
    );
  }
}
