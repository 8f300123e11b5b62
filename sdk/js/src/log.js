// Structured logging through the host's `log` import, one function per
// level: `log.info('certificate issued', {step: 'birth-certificate'})`.
// Attributes are an object or a list of [key, value] pairs; values are sent
// as text.
//
// Put codes and keys in records, never an applicant's values (names, ID
// numbers). Under the test kit, records are kept for `testkit.logs()`.

import { host } from './host.js';

/** The levels, lowest first. */
export const LEVELS = Object.freeze(['trace', 'debug', 'info', 'warn', 'error']);

function pairs(attributes) {
  if (attributes === undefined || attributes === null) return [];
  const list = Array.isArray(attributes) ? attributes : Object.entries(attributes);
  return list.map(([k, v]) => [String(k), String(v)]);
}

/**
 * Write one record at `level`.
 * @param {'trace' | 'debug' | 'info' | 'warn' | 'error'} level
 * @param {string} message
 * @param {Record<string, unknown> | Array<[string, unknown]>} [attributes]
 */
export function write(level, message, attributes) {
  if (!LEVELS.includes(level)) throw new TypeError(`a log level is one of ${LEVELS.join(', ')}, not ${String(level)}`);
  host().log(level, String(message), pairs(attributes));
}

/** Very detailed tracing. @param {string} message @param {Record<string, unknown> | Array<[string, unknown]>} [attributes] */
export const trace = (message, attributes) => write('trace', message, attributes);
/** Debugging detail. @param {string} message @param {Record<string, unknown> | Array<[string, unknown]>} [attributes] */
export const debug = (message, attributes) => write('debug', message, attributes);
/** Normal operation. @param {string} message @param {Record<string, unknown> | Array<[string, unknown]>} [attributes] */
export const info = (message, attributes) => write('info', message, attributes);
/** Something unexpected but handled. @param {string} message @param {Record<string, unknown> | Array<[string, unknown]>} [attributes] */
export const warn = (message, attributes) => write('warn', message, attributes);
/** Something failed. @param {string} message @param {Record<string, unknown> | Array<[string, unknown]>} [attributes] */
export const error = (message, attributes) => write('error', message, attributes);
