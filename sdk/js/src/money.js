// Exact amounts of money: Money, a number of fen (1/100 yuan), the
// contract's `value.money`. Never a float: ¥12,345.67 is 1,234,567 fen.
//
// Fen are held as a BigInt. The contract's money is an s64, which jco
// passes as a BigInt, and amounts up to 2^63-1 fen must stay exact (a JS
// number is exact only to 2^53); every constructor also takes a safe
// integer number. Not for other currencies, nor for measures that are not
// money (those are `decimal`).

import { trim } from './strings.js';
import { debugStr } from './ids/error.js';

const I64_MAX = (1n << 63n) - 1n;
const I64_MIN = -(1n << 63n);

/** Why a text is not an amount of yuan: `kind` is `empty`, `malformed`, `too-precise` or `too-large`. */
export class MoneyError extends Error {
  /** @param {'empty' | 'malformed' | 'too-precise' | 'too-large'} kind @param {string} message */
  constructor(kind, message) {
    super(message);
    this.name = 'MoneyError';
    this.kind = kind;
  }
}

/**
 * A whole number as a BigInt: a bigint as it is, a safe integer number
 * converted; anything else a TypeError naming `what`.
 * @param {bigint | number} n @param {string} what
 * @returns {bigint}
 */
export function toBigInt(n, what) {
  if (typeof n === 'bigint') return n;
  if (typeof n === 'number' && Number.isSafeInteger(n)) return BigInt(n);
  throw new TypeError(`${what} must be a whole number (a BigInt, or a safe integer number), not ${String(n)}`);
}

/** An amount of money in fen. */
export class Money {
  /** @param {bigint | number} fen */
  constructor(fen) {
    const f = toBigInt(fen, 'an amount of fen');
    if (f > I64_MAX || f < I64_MIN) throw new RangeError(`${f} fen is outside what 64 bits hold`);
    /** The amount in fen. @type {bigint} */
    this.fen = f;
    Object.freeze(this);
  }

  /** An amount of `fen`. @param {bigint | number} fen */
  static fromFen(fen) {
    return new Money(fen);
  }

  /** An amount of whole yuan; undefined on overflow. @param {bigint | number} yuan */
  static fromWholeYuan(yuan) {
    const f = toBigInt(yuan, 'an amount of yuan') * 100n;
    return f > I64_MAX || f < I64_MIN ? undefined : new Money(f);
  }

  /**
   * Parse yuan written `12345.67`, `12345.6`, `12345`, `-3.50` or with
   * thousands separators (`12,345.67`): at most two decimals, no rounding.
   * Throws a MoneyError.
   * @param {string} text
   * @returns {Money}
   */
  static fromYuan(text) {
    const t = trim(text);
    if (t === '') throw new MoneyError('empty', 'no amount given');
    const malformed = () =>
      new MoneyError('malformed', `${debugStr(text)} is not an amount of yuan (digits, at most two decimals: 12345.67)`);
    let negative = false;
    let unsigned = t;
    if (t.startsWith('-')) {
      negative = true;
      unsigned = t.slice(1);
    } else if (t.startsWith('+')) {
      unsigned = t.slice(1);
    }
    const dot = unsigned.indexOf('.');
    const wholeRaw = dot < 0 ? unsigned : unsigned.slice(0, dot);
    const decimals = dot < 0 ? '' : unsigned.slice(dot + 1);
    const whole = wholeRaw.split(',').join('');
    if (
      whole === '' ||
      !/^[0-9]+$/.test(whole) ||
      !/^[0-9]*$/.test(decimals) ||
      (dot >= 0 && decimals === '')
    ) {
      throw malformed();
    }
    if (decimals.length > 2) {
      throw new MoneyError('too-precise', `${debugStr(text)} has more than two decimals; fen are the smallest unit`);
    }
    const total = BigInt(whole) * 100n + BigInt(decimals.padEnd(2, '0'));
    if (total > I64_MAX) throw new MoneyError('too-large', `${debugStr(text)} is too large an amount`);
    return new Money(negative ? -total : total);
  }

  /** Yuan with two decimals, no separators: `12345.67`, `-0.05`. */
  toString() {
    const sign = this.fen < 0n ? '-' : '';
    const abs = this.fen < 0n ? -this.fen : this.fen;
    return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
  }

  /** Whether the amounts are equal. @param {Money} other */
  equals(other) {
    return other instanceof Money && other.fen === this.fen;
  }

  /** -1, 0 or 1 as this is less than, equal to or more than `other`. @param {Money} other */
  compare(other) {
    return this.fen < other.fen ? -1 : this.fen > other.fen ? 1 : 0;
  }

  /** The sum (a RangeError past 64 bits). @param {Money} other */
  plus(other) {
    return new Money(this.fen + other.fen);
  }

  /** The difference (a RangeError past 64 bits). @param {Money} other */
  minus(other) {
    return new Money(this.fen - other.fen);
  }
}
