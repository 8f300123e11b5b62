// The host's clock: today's date in the host's time zone (China Standard
// Time by default) and the current Unix time in seconds.
//
// Rules that depend on the date must use today(), never `new Date()`, so
// the host (and under the test kit, `pinToday`) decides what day it is.

import { host } from './host.js';

/** Today's date in the host's configured time zone. @returns {import('./date.js').Date} */
export function today() {
  const d = host().today();
  return { year: d.year, month: d.month, day: d.day };
}

/**
 * Seconds since the Unix epoch, UTC, as a number (exact: seconds stay far
 * below 2^53, though the contract passes an s64).
 * @returns {number}
 */
export function now() {
  return Number(host().now());
}
