// The error every identifier validator returns (IdError), its stable problem
// codes (codes), and the small helpers the validators share: counting
// characters (not UTF-16 units) and quoting a character or a text the way the
// Rust rules' messages do, so both SDKs say the same words.
//
// Not for problems about fields: Fields wraps an IdError into a Problem.

/** The stable machine codes an IdError carries. */
export const codes = Object.freeze({
  BAD_LENGTH: 'bad-length',
  BAD_CHARACTERS: 'bad-characters',
  BAD_REGION: 'bad-region',
  BAD_BIRTH_DATE: 'bad-birth-date',
  BAD_CHECK_DIGIT: 'bad-check-digit',
  BAD_CARD_NUMBER: 'bad-card-number',
  BAD_PHONE: 'bad-phone',
  BAD_POSTAL_CODE: 'bad-postal-code',
  /** Every code above, in the Rust rules' order. */
  ALL: Object.freeze([
    'bad-length',
    'bad-characters',
    'bad-region',
    'bad-birth-date',
    'bad-check-digit',
    'bad-card-number',
    'bad-phone',
    'bad-postal-code',
  ]),
});

/**
 * Why a coded identifier is not well-formed: a stable `code` (one of
 * `codes`) and a message for the applicant in English (`message`) and in
 * Chinese (`messageZh`).
 */
export class IdError extends Error {
  /**
   * @param {string} code one of `codes`
   * @param {string} messageZh the message in Chinese
   * @param {string} message the message in English
   */
  constructor(code, messageZh, message) {
    super(message);
    this.name = 'IdError';
    /** @type {string} */
    this.code = code;
    /** @type {string} */
    this.messageZh = messageZh;
  }

  /** The message in both languages. @returns {{zh: string, en: string}} */
  text() {
    return { zh: this.messageZh, en: this.message };
  }
}

/** The characters (Unicode scalar values) of `text`. @param {string} text */
export function chars(text) {
  return Array.from(text);
}

/** How many characters (not UTF-16 units) `text` has. @param {string} text */
export function charCount(text) {
  return chars(text).length;
}

/**
 * `[position from 1, character]` of the first character `allowed` refuses.
 * @param {string} text
 * @param {(c: string) => boolean} allowed
 * @returns {[number, string] | undefined}
 */
export function firstRefused(text, allowed) {
  const list = chars(text);
  for (let i = 0; i < list.length; i++) {
    if (!allowed(list[i])) return [i + 1, list[i]];
  }
  return undefined;
}

/** Whether `c` is one ASCII digit. @param {string} c */
export function isAsciiDigit(c) {
  return c.length === 1 && c >= '0' && c <= '9';
}

/** Whether `text` is one or more ASCII digits. @param {string} text */
export function allAsciiDigits(text) {
  return /^[0-9]+$/.test(text);
}

function escape(c, quote) {
  switch (c) {
    case '\0':
      return '\\0';
    case '\t':
      return '\\t';
    case '\r':
      return '\\r';
    case '\n':
      return '\\n';
    case '\\':
      return '\\\\';
    default:
      break;
  }
  if (c === quote) return `\\${c}`;
  const cp = c.codePointAt(0) ?? 0;
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return `\\u{${cp.toString(16)}}`;
  return c;
}

/** A character quoted as Rust's `{:?}` quotes it: `'a'`. @param {string} c */
export function debugChar(c) {
  return `'${escape(c, "'")}'`;
}

/** A text quoted as Rust's `{:?}` quotes it: `"a"`. @param {string} s */
export function debugStr(s) {
  return `"${chars(s).map((c) => escape(c, '"')).join('')}"`;
}
