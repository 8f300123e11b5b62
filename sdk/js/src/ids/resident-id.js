// The citizen's resident ID number (公民身份号码), GB 11643-1999: six-digit
// region, birth date YYYYMMDD, three-digit sequence (odd for men, even for
// women) and a check character (a digit or a capital X). The host's rules
// exactly: 18 characters, 17 digits then a digit or capital X (a lowercase
// x is refused), a province-level region, a real birth date in 1900 or
// later, the right check character; the first failing check is reported.
//
// Not for first-generation 15-digit numbers (refused as bad-length) nor for
// foreigners' permanent residence cards.

import { codes, IdError, charCount, chars, debugChar, debugStr, isAsciiDigit } from './error.js';
import { isResidentRegion } from './region.js';
import * as dates from '../date.js';

/** The number of characters of a resident ID number. */
export const LEN = 18;
/** The earliest birth year accepted. */
export const MIN_BIRTH_YEAR = 1900;

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/**
 * The check character of the first 17 digits, or undefined if `first17` is
 * not 17 ASCII digits.
 * @param {string} first17
 * @returns {string | undefined}
 */
export function checkChar(first17) {
  if (typeof first17 !== 'string' || !/^[0-9]{17}$/.test(first17)) return undefined;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i];
  return CHECK[sum % 11];
}

/** Sex as the parity of the sequence encodes it: `'male'` (odd) or `'female'` (even), the dictionary's choice codes. */
export const Sex = Object.freeze({
  MALE: 'male',
  FEMALE: 'female',
  /** @param {number} sequence */
  ofSequence(sequence) {
    return sequence % 2 === 1 ? 'male' : 'female';
  },
});

function check(id) {
  const n = charCount(id);
  if (n !== LEN) {
    const firstGeneration = n === 15 && /^[0-9]*$/.test(id);
    const [hint, hintZh] = firstGeneration
      ? [
          ' (a first-generation 15-digit number is no longer valid: give the 18-digit one)',
          '（第一代 15 位号码已不再有效：请填写 18 位号码）',
        ]
      : ['', ''];
    throw new IdError(
      codes.BAD_LENGTH,
      `居民身份证号码应为 18 位，此号码为 ${n} 位${hintZh}`,
      `a resident ID number has 18 characters; this one has ${n}${hint}`,
    );
  }
  const list = chars(id);
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if (i < LEN - 1 && !isAsciiDigit(c)) {
      throw new IdError(
        codes.BAD_CHARACTERS,
        `居民身份证号码前 17 位须为数字；第 ${i + 1} 位是 ${debugChar(c)}`,
        `the first 17 characters of a resident ID number must be digits; character ${i + 1} is ${debugChar(c)}`,
      );
    }
    if (i === LEN - 1 && c === 'x') {
      throw new IdError(
        codes.BAD_CHARACTERS,
        '居民身份证号码最后一位须为数字或大写 X：校验码请写大写 X，不要写小写 x',
        'the last character of a resident ID number must be a digit or a capital X: write the check character as a capital X, not a lowercase x',
      );
    }
    if (i === LEN - 1 && !(isAsciiDigit(c) || c === 'X')) {
      throw new IdError(
        codes.BAD_CHARACTERS,
        `居民身份证号码最后一位须为数字或大写 X；此处是 ${debugChar(c)}`,
        `the last character of a resident ID number must be a digit or a capital X; it is ${debugChar(c)}`,
      );
    }
  }
  const region = id.slice(0, 6);
  const dateDigits = id.slice(6, 14);
  const last = id.slice(17);
  if (!isResidentRegion(region)) {
    throw new IdError(
      codes.BAD_REGION,
      `${region.slice(0, 2)} 不是省级行政区划代码（居民身份证号码前两位，如北京为 11）`,
      `${region.slice(0, 2)} is not a province code (the first two digits of a resident ID number, e.g. 11 for Beijing)`,
    );
  }
  const birth = dates.parseCompact(dateDigits);
  if (birth === undefined) {
    throw new IdError(
      codes.BAD_BIRTH_DATE,
      `第 7 至 14 位（${dateDigits}）不是有效日期：应为出生日期 YYYYMMDD`,
      `digits 7 to 14 (${dateDigits}) are not a real date: they must be the date of birth as YYYYMMDD`,
    );
  }
  if (birth.year < MIN_BIRTH_YEAR) {
    throw new IdError(
      codes.BAD_BIRTH_DATE,
      `第 7 至 14 位（${dateDigits}）表示的出生年份早于 ${MIN_BIRTH_YEAR} 年：请核对出生日期`,
      `digits 7 to 14 (${dateDigits}) give a birth year before ${MIN_BIRTH_YEAR}: please check the date of birth`,
    );
  }
  const expected = checkChar(id.slice(0, 17));
  if (last !== expected) {
    throw new IdError(
      codes.BAD_CHECK_DIGIT,
      `校验码为 ${last}，但按前 17 位应为 ${expected}（GB 11643-1999）`,
      `the check digit is ${last}, but for these first 17 digits it must be ${expected} (GB 11643-1999)`,
    );
  }
  return birth;
}

/** Check a resident ID number; throws an IdError when it is not valid. @param {string} id */
export function validate(id) {
  check(id);
}

/** A resident ID number that passed validation, with what it encodes. */
export class ResidentId {
  /** @param {string} number @param {import('../date.js').Date} birthDate @param {number} sequence */
  constructor(number, birthDate, sequence) {
    /** The whole number. */
    this.number = number;
    /** The date of birth. */
    this.birthDate = birthDate;
    /** The three-digit sequence (0-999). */
    this.sequence = sequence;
    Object.freeze(this);
  }

  /**
   * Parse and verify a number exactly as typed (nothing trimmed or
   * upper-cased); throws an IdError.
   * @param {string} text
   * @returns {ResidentId}
   */
  static parse(text) {
    const birth = check(text);
    return new ResidentId(text, birth, Number(text.slice(14, 17)));
  }

  /**
   * Build a number from a six-digit region code, a birth date (1900-9999)
   * and a sequence (0-999; its parity encodes sex), computing the check
   * character; throws an IdError (a sequence over 999 is bad-length).
   * @param {string} region
   * @param {import('../date.js').Date} birthDate
   * @param {number} sequence
   * @returns {ResidentId}
   */
  static build(region, birthDate, sequence) {
    if (!isResidentRegion(region)) {
      throw new IdError(
        codes.BAD_REGION,
        `居民身份证号码的地区码为以省级代码开头的六位数字；${debugStr(region)} 不是`,
        `the region of a resident ID number is six digits starting with a province code; ${debugStr(region)} is not`,
      );
    }
    if (!dates.isValid(birthDate)) {
      const shown = `${birthDate.year}-${birthDate.month}-${birthDate.day}`;
      throw new IdError(
        codes.BAD_BIRTH_DATE,
        `出生日期须为有效日期；${shown} 不是`,
        `the birth date must be a real date; ${shown} is not`,
      );
    }
    if (birthDate.year < MIN_BIRTH_YEAR || birthDate.year > 9999) {
      throw new IdError(
        codes.BAD_BIRTH_DATE,
        `出生年份须在 ${MIN_BIRTH_YEAR} 至 9999 之间；此处为 ${birthDate.year}`,
        `the birth year must be ${MIN_BIRTH_YEAR} to 9999; it is ${birthDate.year}`,
      );
    }
    if (!Number.isInteger(sequence) || sequence < 0 || sequence > 999) {
      throw new IdError(
        codes.BAD_LENGTH,
        `顺序码为三位数字（0 至 999）；${sequence} 超出范围`,
        `the sequence number has three digits (0 to 999); ${sequence} does not fit`,
      );
    }
    const first17 = `${region}${dates.compact(birthDate)}${String(sequence).padStart(3, '0')}`;
    const c = checkChar(first17);
    if (c === undefined) {
      throw new IdError(codes.BAD_CHARACTERS, '前 17 位须为数字', 'the first 17 characters must be digits');
    }
    return new ResidentId(`${first17}${c}`, { ...birthDate }, sequence);
  }

  /** The six-digit region code of the household at issue. */
  get region() {
    return this.number.slice(0, 6);
  }

  /** `'male'` or `'female'`, as the sequence's parity encodes. */
  get sex() {
    return Sex.ofSequence(this.sequence);
  }

  toString() {
    return this.number;
  }
}
