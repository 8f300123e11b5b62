// The department's private durable key-value store: get, set, insert-new
// (the building block for reservations and idempotent issuing: it says what
// holds a key it did not set), delete, and `reserve`. Values are bytes
// (Uint8Array); the `*Text` forms take and give UTF-8 text.
//
// Every function throws a StoreError when the store fails (`unavailable`,
// which `handle` reports as a transient step error, or `too-large`,
// permanent). Under the test kit the store is an in-memory map it can seed,
// inspect and make fail.

import { host } from './host.js';
import { encode, decode } from './utf8.js';

/** What insertNew did: `{tag: 'set'}` or `{tag: 'held', val: bytes}`, with readers. */
export class Inserted {
  /** @param {'set' | 'held'} tag @param {Uint8Array} [val] */
  constructor(tag, val) {
    this.tag = tag;
    if (tag === 'held') this.val = val ?? new Uint8Array();
  }

  /** Whether the key was absent and now holds the value. */
  isSet() {
    return this.tag === 'set';
  }

  /** What already held the key, if it was held. @returns {Uint8Array | undefined} */
  held() {
    return this.tag === 'held' ? this.val : undefined;
  }

  /** What already held the key, as text (invalid UTF-8 replaced). */
  heldText() {
    const h = this.held();
    return h === undefined ? undefined : decode(h);
  }
}

function bytes(value) {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return encode(value);
  throw new TypeError(`a store value is a Uint8Array or a string, not ${typeof value}`);
}

/** The value under `key`, if any. @param {string} key @returns {Uint8Array | undefined} */
export function get(key) {
  return host().storeGet(String(key)) ?? undefined;
}

/** The value under `key` as UTF-8 text, if any. @param {string} key @returns {string | undefined} */
export function getText(key) {
  const b = get(key);
  return b === undefined ? undefined : decode(b);
}

/** Set `key` to `value` (bytes or text), replacing what was there. @param {string} key @param {Uint8Array | string} value */
export function set(key, value) {
  host().storeSet(String(key), bytes(value));
}

/**
 * Set `key` to `value` only if `key` is absent: `set`, or `held` with the
 * value already under it.
 * @param {string} key @param {Uint8Array | string} value @returns {Inserted}
 */
export function insertNew(key, value) {
  const r = host().storeInsertNew(String(key), bytes(value));
  return r.tag === 'held' ? new Inserted('held', r.val) : new Inserted('set');
}

/** Remove `key`; whether it was there. @param {string} key @returns {boolean} */
function remove(key) {
  return Boolean(host().storeDelete(String(key)));
}
export { remove as delete, remove };

/**
 * Reserve `key` for `owner`: store `owner` under `key` unless another owner
 * holds it. Undefined when `owner` now holds it (newly, or already: a retry),
 * else the holder.
 * @param {string} key @param {string} owner @returns {string | undefined}
 */
export function reserve(key, owner) {
  const holder = insertNew(key, owner).heldText();
  return holder === undefined || holder === owner ? undefined : holder;
}
