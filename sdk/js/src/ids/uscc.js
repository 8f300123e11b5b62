// The unified social credit code (统一社会信用代码), GB 32100-2015: the
// registration authority, the kind of organisation, the six-digit region,
// the GB 11714 organisation code (8 characters and its check) and the
// code's own check character, all from a 31-character set (digits and
// capitals except I, O, S, V, Z). validate checks length, characters,
// region (province-level or national 10) and the GB 32100 check character,
// not the embedded GB 11714 one (as the host does).
//
// Not for the registration numbers that preceded credit codes.

import { codes, IdError, charCount, chars, debugChar, debugStr, firstRefused } from './error.js';
import { isUsccRegion } from './region.js';
import * as orgCode from './org-code.js';

/** The number of characters of a credit code. */
export const LEN = 18;
/** The 31 characters of a credit code, in value order. */
export const CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** The value (0-30) of a credit code character, or undefined. @param {string} c */
export function value(c) {
  if (typeof c !== 'string' || c.length !== 1) return undefined;
  const p = CHARSET.indexOf(c);
  return p < 0 ? undefined : p;
}

/**
 * The GB 32100 check character of the first 17 characters, or undefined if
 * they are not 17 characters of the code's set.
 * @param {string} first17
 * @returns {string | undefined}
 */
export function checkChar(first17) {
  if (typeof first17 !== 'string' || charCount(first17) !== LEN - 1) return undefined;
  let sum = 0;
  const list = chars(first17);
  for (let i = 0; i < list.length; i++) {
    const v = value(list[i]);
    if (v === undefined) return undefined;
    sum += v * WEIGHTS[i];
  }
  return CHARSET[(31 - (sum % 31)) % 31];
}

/** Check a credit code; throws an IdError. @param {string} code */
export function validate(code) {
  const n = charCount(code);
  if (n !== LEN) {
    throw new IdError(
      codes.BAD_LENGTH,
      `统一社会信用代码应为 18 位，此代码为 ${n} 位`,
      `a unified social credit code has 18 characters; this one has ${n}`,
    );
  }
  const refused = firstRefused(code, (c) => value(c) !== undefined);
  if (refused) {
    const [pos, c] = refused;
    const lower = c.length === 1 && c >= 'a' && c <= 'z';
    const [hint, hintZh] = lower ? [': write letters as capitals', '：字母请写成大写'] : ['', ''];
    throw new IdError(
      codes.BAD_CHARACTERS,
      `统一社会信用代码中不能出现 ${debugChar(c)}（第 ${pos} 位；可用数字和除 I、O、S、V、Z 外的大写字母）${hintZh}`,
      `${debugChar(c)} (character ${pos}) cannot appear in a unified social credit code (digits and capitals except I, O, S, V, Z)${hint}`,
    );
  }
  const region = code.slice(2, 8);
  const last = code.slice(17);
  if (!isUsccRegion(region)) {
    throw new IdError(
      codes.BAD_REGION,
      `统一社会信用代码第 3 至 8 位为登记管理机关行政区划码，应为以省级代码或 10 开头的六位数字；${region} 不是`,
      `characters 3 to 8 of a unified social credit code are the region code, six digits starting with a province code or 10; ${region} is not one`,
    );
  }
  const expected = checkChar(code.slice(0, 17));
  if (last !== expected) {
    throw new IdError(
      codes.BAD_CHECK_DIGIT,
      `校验码为 ${last}，但按前 17 位应为 ${expected}（GB 32100-2015）`,
      `the check character is ${last}, but for these first 17 characters it must be ${expected} (GB 32100-2015)`,
    );
  }
}

/**
 * Build a credit code from the registration authority (`9`: market
 * regulation), the kind (`1` enterprise, `2` individual business, `3`
 * farmers' cooperative), the six-digit region and the eight-character
 * organisation body; both check characters are computed here. Throws an
 * IdError.
 * @param {string} authority @param {string} kind @param {string} region @param {string} body8
 * @returns {string}
 */
export function build(authority, kind, region, body8) {
  for (const [what, whatZh, c] of [
    ['registration authority', '登记管理部门', authority],
    ['kind', '机构类别', kind],
  ]) {
    if (value(c) === undefined) {
      throw new IdError(
        codes.BAD_CHARACTERS,
        `${whatZh}代码 ${debugChar(String(c))} 不是统一社会信用代码可用的字符（数字和除 I、O、S、V、Z 外的大写字母）`,
        `the ${what} code ${debugChar(String(c))} is not a unified social credit code character (digits and capitals except I, O, S, V, Z)`,
      );
    }
  }
  if (!isUsccRegion(region)) {
    throw new IdError(
      codes.BAD_REGION,
      `行政区划码为以省级代码或 10 开头的六位数字；${debugStr(region)} 不是`,
      `the region code is six digits starting with a province code or 10; ${debugStr(region)} is not one`,
    );
  }
  const n = charCount(body8);
  if (n !== 8) {
    throw new IdError(
      codes.BAD_LENGTH,
      `组织机构主体代码应为 8 位，此处为 ${n} 位`,
      `the organisation body has 8 characters; this one has ${n}`,
    );
  }
  const refused = firstRefused(body8, (c) => value(c) !== undefined);
  if (refused) {
    const [pos, c] = refused;
    throw new IdError(
      codes.BAD_CHARACTERS,
      `统一社会信用代码中不能出现 ${debugChar(c)}（组织机构主体代码第 ${pos} 位；可用数字和除 I、O、S、V、Z 外的大写字母）`,
      `${debugChar(c)} (character ${pos} of the organisation body) cannot appear in a unified social credit code (digits and capitals except I, O, S, V, Z)`,
    );
  }
  const bad = () =>
    new IdError(codes.BAD_CHARACTERS, '不是统一社会信用代码可用的字符', 'not a unified social credit code character');
  const orgCheck = orgCode.checkChar(body8);
  if (orgCheck === undefined) throw bad();
  const first17 = `${authority}${kind}${region}${body8}${orgCheck}`;
  const check = checkChar(first17);
  if (check === undefined) throw bad();
  return `${first17}${check}`;
}
