// Calendar arithmetic on the contract's date record `{year, month, day}`:
// building, checking, parsing (`YYYY-MM-DD`, the compact `YYYYMMDD` of
// resident ID numbers), formatting, ordering, adding days and months,
// counting days and whole years between dates. Bit-for-bit the Rust SDK's
// answers (proleptic Gregorian, no time zones).
//
// Not a general date library: just what department rules need ("under six
// months old", "not in the future"). Today's date comes from `clock.today()`,
// never from the system clock.

/** @typedef {{year: number, month: number, day: number}} Date */

/** Whether `year` is a Gregorian leap year. @param {number} year */
export function isLeapYear(year) {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Days in `month` (1-12) of `year`; 0 for a month out of range. @param {number} year @param {number} month */
export function daysInMonth(year, month) {
  switch (month) {
    case 1:
    case 3:
    case 5:
    case 7:
    case 8:
    case 10:
    case 12:
      return 31;
    case 4:
    case 6:
    case 9:
    case 11:
      return 30;
    case 2:
      return isLeapYear(year) ? 29 : 28;
    default:
      return 0;
  }
}

/** Whether the date exists (month 1-12, day within the month). @param {Date} d */
export function isValid(d) {
  return (
    Number.isInteger(d.year) &&
    Number.isInteger(d.month) &&
    Number.isInteger(d.day) &&
    d.month >= 1 &&
    d.month <= 12 &&
    d.day >= 1 &&
    d.day <= daysInMonth(d.year, d.month)
  );
}

/**
 * The date `year`-`month`-`day`, or undefined if no such day exists.
 * @param {number} year @param {number} month @param {number} day
 * @returns {Date | undefined}
 */
export function fromYmd(year, month, day) {
  const d = { year, month, day };
  return isValid(d) ? d : undefined;
}

// Rust's `str::parse` of an integer: optional sign ('+' only when unsigned),
// ASCII digits, within range.
function parseInteger(text, signed, max) {
  const re = signed ? /^[+-]?[0-9]+$/ : /^\+?[0-9]+$/;
  if (!re.test(text)) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n > max || n < -max - 1) return undefined;
  return n;
}

/**
 * Parse `YYYY-MM-DD` (exactly ten ASCII characters); undefined if it is not
 * a date that exists.
 * @param {string} text
 * @returns {Date | undefined}
 */
export function parse(text) {
  if (typeof text !== 'string' || text.length !== 10 || !/^[\x00-\x7f]*$/.test(text)) return undefined;
  if (text[4] !== '-' || text[7] !== '-') return undefined;
  const year = parseInteger(text.slice(0, 4), true, 2147483647);
  const month = parseInteger(text.slice(5, 7), false, 255);
  const day = parseInteger(text.slice(8, 10), false, 255);
  if (year === undefined || month === undefined || day === undefined) return undefined;
  return fromYmd(year, month, day);
}

/**
 * Parse the compact `YYYYMMDD` form (eight ASCII digits) used inside
 * resident ID numbers.
 * @param {string} text
 * @returns {Date | undefined}
 */
export function parseCompact(text) {
  if (typeof text !== 'string' || !/^[0-9]{8}$/.test(text)) return undefined;
  return fromYmd(Number(text.slice(0, 4)), Number(text.slice(4, 6)), Number(text.slice(6, 8)));
}

function pad(n, width) {
  const sign = n < 0 ? '-' : '';
  const digits = String(Math.abs(n));
  return sign + digits.padStart(width - sign.length, '0');
}

/** `YYYY-MM-DD`. @param {Date} d */
export function format(d) {
  return `${pad(d.year, 4)}-${pad(d.month, 2)}-${pad(d.day, 2)}`;
}

/** The compact `YYYYMMDD` form. @param {Date} d */
export function compact(d) {
  return `${pad(d.year, 4)}${pad(d.month, 2)}${pad(d.day, 2)}`;
}

function divEuclid(a, b) {
  return Math.floor(a / b);
}

/** Days since 1970-01-01 (negative before it). @param {Date} d */
export function daysSinceEpoch(d) {
  // Howard Hinnant's days_from_civil.
  const y = d.year - (d.month <= 2 ? 1 : 0);
  const era = divEuclid(y, 400);
  const yoe = y - era * 400;
  const m = d.month;
  const mp = m > 2 ? m - 3 : m + 9;
  const doy = Math.trunc((153 * mp + 2) / 5) + d.day - 1;
  const doe = yoe * 365 + Math.trunc(yoe / 4) - Math.trunc(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The date `days` after 1970-01-01. @param {number} days @returns {Date} */
export function fromDaysSinceEpoch(days) {
  // Howard Hinnant's civil_from_days.
  const z = days + 719468;
  const era = divEuclid(z, 146097);
  const doe = z - era * 146097;
  const yoe = Math.trunc(
    (doe - Math.trunc(doe / 1460) + Math.trunc(doe / 36524) - Math.trunc(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.trunc(yoe / 4) - Math.trunc(yoe / 100));
  const mp = Math.trunc((5 * doy + 2) / 153);
  const day = doy - Math.trunc((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day };
}

/** The date `days` later (earlier if negative). @param {Date} d @param {number} days @returns {Date} */
export function addDays(d, days) {
  return fromDaysSinceEpoch(daysSinceEpoch(d) + Number(days));
}

/**
 * The same day `months` later (earlier if negative), moved back to the
 * month's last day where it has fewer days (2026-08-31 + 6 months is
 * 2027-02-28).
 * @param {Date} d @param {number} months @returns {Date}
 */
export function addMonths(d, months) {
  const index = d.year * 12 + d.month - 1 + Number(months);
  const year = divEuclid(index, 12);
  const month = index - year * 12 + 1;
  return { year, month, day: Math.min(d.day, daysInMonth(year, month)) };
}

/** Days from `from` to `later` (negative if `later` is earlier). @param {Date} from @param {Date} later */
export function daysUntil(from, later) {
  return daysSinceEpoch(later) - daysSinceEpoch(from);
}

/** Whole years from `from` to `on` (an age on a given day). @param {Date} from @param {Date} on */
export function yearsUntil(from, on) {
  let years = on.year - from.year;
  if (on.month < from.month || (on.month === from.month && on.day < from.day)) years -= 1;
  return years;
}

/** -1, 0 or 1 as `a` is before, on or after `b`. @param {Date} a @param {Date} b */
export function compare(a, b) {
  for (const k of ['year', 'month', 'day']) {
    if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  }
  return 0;
}

/** Whether `a` and `b` are the same day. @param {Date} a @param {Date} b */
export function equals(a, b) {
  return compare(a, b) === 0;
}
