// Contact details with a fixed shape: mainland mobile phone numbers (11
// digits starting 13 to 19) and postal codes (6 digits).
//
// Not for landlines, numbers with a country code or separators.

import { codes, IdError, charCount, debugChar, firstRefused, isAsciiDigit } from './error.js';

/** Check a mainland mobile number; throws an IdError. @param {string} phone */
export function validateMobilePhone(phone) {
  const RULE = 'a mobile number has 11 digits and starts with 13 to 19';
  const RULE_ZH = '手机号码为 11 位数字，以 13 至 19 开头';
  const n = charCount(phone);
  if (n !== 11) {
    throw new IdError(codes.BAD_PHONE, `${RULE_ZH}；此号码有 ${n} 个字符`, `${RULE}; this one has ${n} characters`);
  }
  const refused = firstRefused(phone, isAsciiDigit);
  if (refused) {
    const [pos, c] = refused;
    throw new IdError(
      codes.BAD_PHONE,
      `${RULE_ZH}，不能有其他字符；第 ${pos} 位是 ${debugChar(c)}`,
      `${RULE}, and nothing else; character ${pos} is ${debugChar(c)}`,
    );
  }
  const start = phone.slice(0, 2);
  if (!/^1[3-9]$/.test(start)) {
    throw new IdError(codes.BAD_PHONE, `${RULE_ZH}；此号码以 ${start} 开头`, `${RULE}; this one starts with ${start}`);
  }
}

/** Check a postal code (6 ASCII digits); throws an IdError. @param {string} code */
export function validatePostalCode(code) {
  const RULE = 'a postal code has 6 digits';
  const RULE_ZH = '邮政编码为 6 位数字';
  const n = charCount(code);
  if (n !== 6) {
    throw new IdError(codes.BAD_POSTAL_CODE, `${RULE_ZH}；此处有 ${n} 个字符`, `${RULE}; this one has ${n} characters`);
  }
  const refused = firstRefused(code, isAsciiDigit);
  if (refused) {
    const [pos, c] = refused;
    throw new IdError(
      codes.BAD_POSTAL_CODE,
      `${RULE_ZH}；第 ${pos} 位是 ${debugChar(c)}`,
      `${RULE}; character ${pos} is ${debugChar(c)}`,
    );
  }
}
