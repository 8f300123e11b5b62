// The URLs the HTTP client sends to: `http://` or `https://`, an authority
// (host and optional port) and a path with an optional query, split the way
// wasi:http wants them; and pathSegment, to put an applicant's value (an
// enterprise name in Chinese) into a path safely. The Rust SDK's rules.
//
// Not a general URL parser: no user info, no fragments, no relative
// references.

import { encode } from '../utf8.js';
import { debugChar } from '../ids/error.js';

/** A URL split into scheme, authority and path-with-query. */
export class Url {
  /** @param {boolean} https @param {string} authority @param {string} pathAndQuery */
  constructor(https, authority, pathAndQuery) {
    this.https = https;
    this.authority = authority;
    this.pathAndQuery = pathAndQuery;
    Object.freeze(this);
  }

  /**
   * Parse `http(s)://authority[/path][?query]`; throws an Error whose
   * message is the reason.
   * @param {string} text @returns {Url}
   */
  static parse(text) {
    const lower = text.slice(0, 8).toLowerCase();
    let https;
    let rest;
    if (lower.startsWith('https://')) {
      https = true;
      rest = text.slice(8);
    } else if (lower.startsWith('http://')) {
      https = false;
      rest = text.slice(7);
    } else {
      throw new Error('it must start with http:// or https://');
    }
    const m = rest.search(/[/?#]/);
    const end = m < 0 ? rest.length : m;
    const authority = rest.slice(0, end);
    const tail = rest.slice(end);
    if (authority === '') throw new Error('it names no host');
    if (authority.includes('@')) throw new Error('it holds user information; credentials never go in a URL');
    if (tail.includes('#')) throw new Error('it holds a fragment');
    const bad = Array.from(text).find((c) => /[\p{White_Space}\p{Cc}]/u.test(c));
    if (bad !== undefined) throw new Error(`it holds ${debugChar(bad)}; escape it with http.pathSegment`);
    const pathAndQuery = tail.startsWith('?') ? `/${tail}` : tail === '' ? '/' : tail;
    return new Url(https, authority, pathAndQuery);
  }

  toString() {
    return `${this.https ? 'https' : 'http'}://${this.authority}${this.pathAndQuery}`;
  }
}

/**
 * `value` percent-encoded as one path segment (RFC 3986 unreserved
 * characters kept, everything else as UTF-8 `%XX`): `pathSegment('厦门 A/B')`
 * is `%E5%8E%A6%E9%97%A8%20A%2FB`.
 * @param {string} value @returns {string}
 */
export function pathSegment(value) {
  let out = '';
  for (const b of encode(String(value))) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-._~]/.test(c)) out += c;
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
