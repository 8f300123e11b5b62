// The contract's values as jco passes them: tagged variants `{tag, val}`.
// A Value is one of `text`, `integer` (BigInt), `money` (BigInt fen),
// `decimal` (number), `boolean`, `date` ({year, month, day}) or `items` (a
// list of Items, the same cases but `items`). `toValue` turns what an author
// writes into one: a string is text, a bigint or integral number is an
// integer, another number a decimal, a Money is money, a date record a
// date, an array a list. Use `Value.decimal(3)` for a decimal that happens
// to be whole.
//
// Not for checking a value against the dictionary: the host does that.

import { Money, toBigInt } from './money.js';
import { isValid } from './date.js';

/** @typedef {import('./date.js').Date} Date */
/** @typedef {{tag: 'text', val: string} | {tag: 'integer', val: bigint} | {tag: 'money', val: bigint} | {tag: 'decimal', val: number} | {tag: 'boolean', val: boolean} | {tag: 'date', val: Date}} Item */
/** @typedef {Item | {tag: 'items', val: Item[]}} Value */
/** @typedef {{key: string, value: Value}} Field */
/** @typedef {{code: string, digest: string, mediaType: string, size: bigint}} Material */

const ITEM_TAGS = ['text', 'integer', 'money', 'decimal', 'boolean', 'date'];

function isDateRecord(x) {
  return (
    x !== null &&
    typeof x === 'object' &&
    typeof x.year === 'number' &&
    typeof x.month === 'number' &&
    typeof x.day === 'number' &&
    Object.keys(x).length === 3
  );
}

function isTagged(x) {
  return x !== null && typeof x === 'object' && typeof x.tag === 'string' && !Array.isArray(x);
}

function describe(x) {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'object') return `an object with keys ${JSON.stringify(Object.keys(x))}`;
  return `${typeof x} ${String(x)}`;
}

function fromTagged(x, where, allowItems) {
  switch (x.tag) {
    case 'text':
      if (typeof x.val !== 'string') break;
      return { tag: 'text', val: x.val };
    case 'integer':
    case 'money':
      return { tag: x.tag, val: toBigInt(x.val instanceof Money ? x.val.fen : x.val, `${where} (${x.tag})`) };
    case 'decimal':
      if (typeof x.val !== 'number') break;
      return { tag: 'decimal', val: x.val };
    case 'boolean':
      if (typeof x.val !== 'boolean') break;
      return { tag: 'boolean', val: x.val };
    case 'date':
      if (!isDateRecord(x.val) || !isValid(x.val)) break;
      return { tag: 'date', val: { year: x.val.year, month: x.val.month, day: x.val.day } };
    case 'items':
      if (!allowItems) throw new TypeError(`${where}: a list cannot hold a list`);
      if (!Array.isArray(x.val)) break;
      return { tag: 'items', val: x.val.map((i, n) => toItem(i, `${where}[${n}]`)) };
    default:
      throw new TypeError(`${where}: no value case ${JSON.stringify(x.tag)} (text, integer, money, decimal, boolean, date${allowItems ? ', items' : ''})`);
  }
  throw new TypeError(`${where}: ${describe(x.val)} is not a ${x.tag} value`);
}

function convert(x, where, allowItems) {
  if (typeof x === 'string') return { tag: 'text', val: x };
  if (typeof x === 'bigint') return { tag: 'integer', val: toBigInt(x, where) };
  if (typeof x === 'number') {
    if (Number.isInteger(x)) return { tag: 'integer', val: toBigInt(x, where) };
    return { tag: 'decimal', val: x };
  }
  if (typeof x === 'boolean') return { tag: 'boolean', val: x };
  if (x instanceof Money) return { tag: 'money', val: x.fen };
  if (Array.isArray(x)) {
    if (!allowItems) throw new TypeError(`${where}: a list cannot hold a list`);
    return { tag: 'items', val: x.map((i, n) => toItem(i, `${where}[${n}]`)) };
  }
  if (isDateRecord(x)) {
    if (!isValid(x)) throw new TypeError(`${where}: ${JSON.stringify(x)} is not a date that exists`);
    return { tag: 'date', val: { year: x.year, month: x.month, day: x.day } };
  }
  if (isTagged(x)) return fromTagged(x, where, allowItems);
  throw new TypeError(
    `${where}: ${describe(x)} is not a value (a string, a whole number or BigInt, a number, a boolean, a Money, a date record, an array, or {tag, val})`,
  );
}

/**
 * The Value for `x` (see the module comment for the mapping); a TypeError
 * naming `where` for anything else.
 * @param {unknown} x @param {string} [where]
 * @returns {Value}
 */
export function toValue(x, where = 'value') {
  return /** @type {Value} */ (convert(x, where, true));
}

/**
 * The list element for `x`: as toValue, but not a list.
 * @param {unknown} x @param {string} [where]
 * @returns {Item}
 */
export function toItem(x, where = 'item') {
  return /** @type {Item} */ (convert(x, where, false));
}

/** Constructors and readers of values. */
export const Value = Object.freeze({
  /** @param {string} s @returns {Value} */
  text: (s) => ({ tag: 'text', val: String(s) }),
  /** @param {bigint | number} n @returns {Value} */
  integer: (n) => ({ tag: 'integer', val: toBigInt(n, 'an integer value') }),
  /** @param {Money | bigint | number} m Money, or fen @returns {Value} */
  money: (m) => ({ tag: 'money', val: m instanceof Money ? m.fen : new Money(m).fen }),
  /** @param {number} x @returns {Value} */
  decimal: (x) => ({ tag: 'decimal', val: Number(x) }),
  /** @param {boolean} b @returns {Value} */
  boolean: (b) => ({ tag: 'boolean', val: Boolean(b) }),
  /** @param {Date} d @returns {Value} */
  date: (d) => toValue(d, 'a date value'),
  /** A list from anything that converts into elements. @param {Iterable<unknown>} list @returns {Value} */
  items: (list) => ({ tag: 'items', val: Array.from(list, (i, n) => toItem(i, `items[${n}]`)) }),
  /**
   * The dictionary type name of a value or item (`text`, `integer`,
   * `money`, `decimal`, `boolean`, `date`, `items`).
   * @param {Value} v
   */
  typeName: (v) => v.tag,
  /** The text, if a text value. @param {Value | undefined} v */
  asText: (v) => (v && v.tag === 'text' ? v.val : undefined),
  /** The amount, if a money value. @param {Value | undefined} v */
  asMoney: (v) => (v && v.tag === 'money' ? new Money(v.val) : undefined),
  /** The elements, if a list value. @param {Value | undefined} v */
  asItems: (v) => (v && v.tag === 'items' ? v.val : undefined),
  /** Whether `tag` is a case a list element may take. @param {string} tag */
  isItemTag: (tag) => ITEM_TAGS.includes(tag),
});

/**
 * A field `{key, value}` (the value through toValue).
 * @param {string} key @param {unknown} value
 * @returns {Field}
 */
export function field(key, value) {
  return { key: String(key), value: toValue(value, `field ${key}`) };
}
