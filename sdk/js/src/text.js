// Text for people in both of the platform's languages: every title,
// purpose, problem message, document title, note and reason a department
// gives is a record `{zh, en}`, Simplified Chinese and English. The host
// shows the applicant the one asked for, and refuses a manifest missing one.
//
// Not a translation service: the department writes both.

import { isBlank } from './strings.js';

/** @typedef {{zh: string, en: string}} Text */

/**
 * A text in Chinese (`zh`) and English (`en`).
 * @param {string} zh @param {string} en
 * @returns {Text}
 */
export function text(zh, en) {
  return { zh: String(zh), en: String(en) };
}

/** Helpers on texts. */
export const Text = Object.freeze({
  /** The version for `language` (`en...` English, anything else Chinese). @param {Text} t @param {string} language */
  get(t, language) {
    return String(language).startsWith('en') ? t.en : t.zh;
  },
  /** Whether either version is blank (the host refuses such a text in a manifest). @param {Text} t */
  isIncomplete(t) {
    return isBlank(t.zh) || isBlank(t.en);
  },
  /** The texts joined: Chinese with `；`, English with `; `. @param {Text[]} texts @returns {Text} */
  join(texts) {
    return { zh: texts.map((t) => t.zh).join('；'), en: texts.map((t) => t.en).join('; ') };
  },
  /** Both versions, `zh / en` (for logs and test messages). @param {Text} t */
  format(t) {
    return `${t.zh} / ${t.en}`;
  },
});
