// Deterministic numbers from strings, for issuing: the same idempotency key
// always yields the same certificate number, so a retried step issues what
// the first attempt issued. FNV-1a over the UTF-8 bytes of each part (each
// followed by 0xff, so ['ab', 'c'] and ['a', 'bc'] differ), then SplitMix64
// mixing, with 64-bit wraparound through BigInt: bit-exact with the Rust
// SDK's `hash` module.
//
// Not cryptographic: never use it to hide or sign anything.

import { encode } from './utf8.js';

const MASK = (1n << 64n) - 1n;
const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const TEN_18 = 1000000000000000000n;

function splitmix(z) {
  z = (z + 0x9e3779b97f4a7c15n) & MASK;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK;
  return z ^ (z >> 31n);
}

function asParts(parts) {
  if (!Array.isArray(parts)) throw new TypeError('hash parts are an array of strings');
  return parts.map((p) => String(p));
}

/**
 * A stable 64-bit hash of `parts` (a BigInt in 0 .. 2^64-1).
 * @param {string[]} parts @returns {bigint}
 */
export function stableU64(parts) {
  let h = FNV_OFFSET;
  for (const part of asParts(parts)) {
    for (const b of encode(part)) {
      h ^= BigInt(b);
      h = (h * FNV_PRIME) & MASK;
    }
    h ^= 0xffn;
    h = (h * FNV_PRIME) & MASK;
  }
  return splitmix(h);
}

/**
 * `n` decimal digits derived from `parts` (leading zeros kept).
 * @param {string[]} parts @param {number} n @returns {string}
 */
export function digits(parts, n) {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`a digit count is a whole number, not ${n}`);
  let out = '';
  let state = stableU64(parts);
  while (out.length < n) {
    state = splitmix(state);
    const chunk = String(state % TEN_18).padStart(18, '0');
    out += chunk.slice(0, Math.min(n - out.length, 18));
  }
  return out;
}

/**
 * A number in 0 .. bound-1 derived from `parts` (bound 0 gives 0); a BigInt,
 * as the bound may be up to 2^64-1. A number bound gives a number.
 * @template {bigint | number} B @param {string[]} parts @param {B} bound @returns {B}
 */
export function below(parts, bound) {
  const b = typeof bound === 'bigint' ? bound : BigInt(bound);
  if (b < 0n || b > MASK) throw new RangeError(`a bound is 0 to 2^64-1, not ${bound}`);
  const v = b === 0n ? 0n : stableU64(parts) % b;
  return /** @type {B} */ (typeof bound === 'bigint' ? v : Number(v));
}
