// Administrative region codes (GB/T 2260) as far as the identifier rules
// check them: the province-level prefix only (the host's rules exactly).
//
// Not a register of counties: a six-digit code whose province exists is
// accepted even if its county was never created or has since been merged.

/** Province-level codes: the 31 provinces, Taiwan (71), Hong Kong (81), Macao (82). */
export const PROVINCES = Object.freeze([
  11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
  53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
]);

/** A credit code's prefix for a national registration (region 100000). */
export const NATIONAL = 10;

function isSixDigits(code) {
  return /^[0-9]{6}$/.test(code);
}

function prefix(code) {
  return Number(code.slice(0, 2));
}

/** Whether `code` is six digits starting with a province code (a resident ID's region). @param {string} code */
export function isResidentRegion(code) {
  return isSixDigits(code) && PROVINCES.includes(prefix(code));
}

/** Whether `code` is six digits starting with a province code or 10 (a credit code's region). @param {string} code */
export function isUsccRegion(code) {
  return isSixDigits(code) && (prefix(code) === NATIONAL || PROVINCES.includes(prefix(code)));
}
