// HTTP mocks for unit tests: under the test kit the SDK's http client sends
// nothing over the network; every request goes to the expectations set
// here, and is recorded with its headers and body.
//
//   testkit.http.expect('POST', url).json(201, {account_number: 'HF1'});
//   testkit.http.expect('POST', url).problem(409, 'already-registered').member('number', 'HF9');
//   testkit.http.expect('POST', url).status(502);
//   testkit.http.expect('POST', url).fail('timeout');
//   ... testkit.http.requests()[0].header('idempotency-key'), .json() ...
//   testkit.http.verify();   // every expectation met, no unexpected request
//
// Expectations are matched in the order set, each answering one request
// with the same method and URL (query included). A request no expectation
// is left for throws (failing the test), listing what was expected, and is
// remembered so verify() fails too. reset() forgets them all.

import { encode, decode } from '../utf8.js';
import { HttpFailure } from '../http/failure.js';

/** The failures a mock can answer with, and what the client makes of them. */
const FAILURES = Object.freeze({
  refused: () => new HttpFailure('refused'),
  'connection-refused': () => new HttpFailure('refused'),
  timeout: () => new HttpFailure('timeout', 'waiting for the answer'),
  unreachable: () => new HttpFailure('unreachable', 'DestinationUnavailable'),
  denied: () => new HttpFailure('denied'),
  protocol: () => new HttpFailure('protocol', 'HttpProtocolError'),
});

const mocks = {
  /** @type {Array<{method: string, url: string, answer: any, met: boolean}>} */
  expected: [],
  /** @type {Recorded[]} */
  recorded: [],
  /** @type {string[]} */
  unexpected: [],
};

export function clearMocks() {
  mocks.expected = [];
  mocks.recorded = [];
  mocks.unexpected = [];
}

/** One request the department made. */
export class Recorded {
  /** @param {any} o the client's outgoing request */
  constructor(o) {
    /** Its method, `GET`, `POST`, ... */
    this.method = o.method;
    /** Its URL. */
    this.url = o.url.toString();
    /** Its headers, names in lowercase, as [name, value] pairs. @type {Array<[string, string]>} */
    this.headers = o.headers.map(([n, v]) => [n, v]);
    /** Its body's bytes. @type {Uint8Array} */
    this.body = Uint8Array.from(o.body);
    /** The timeouts it asked for, in milliseconds. */
    this.timeouts = { ...o.timeouts };
  }

  /** The first header named `name` (case-insensitive). @param {string} name */
  header(name) {
    const n = String(name).toLowerCase();
    return this.headers.find(([k]) => k.toLowerCase() === n)?.[1];
  }

  /** The body as text. */
  text() {
    return decode(this.body);
  }

  /** The body parsed as JSON; throws (failing the test) when it is not JSON. */
  json() {
    try {
      return JSON.parse(this.text());
    } catch (e) {
      throw new Error(`testkit.http: the body of ${this.method} ${this.url} is not the JSON expected: ${/** @type {Error} */ (e).message}`);
    }
  }
}

/** Sets what one expected request is answered (see expect). */
export class Expect {
  /** @param {number} index */
  constructor(index) {
    this.index = index;
  }

  #respond(status, contentType, body) {
    const e = mocks.expected[this.index];
    const headers = e.answer.fail ? [] : e.answer.headers.filter(([n]) => n !== 'content-type');
    if (contentType) headers.push(['content-type', contentType]);
    e.answer = { status, headers, body };
    return this;
  }

  /** Answer `status` with no body. @param {number} status */
  status(status) {
    return this.#respond(status, undefined, new Uint8Array());
  }

  /** Answer `status` with `body` as JSON. @param {number} status @param {unknown} body */
  json(status, body) {
    return this.#respond(status, 'application/json', encode(JSON.stringify(body)));
  }

  /**
   * Answer `status` with a problem+json body as the departments' systems
   * give it: type `urn:onething:systems:<code>`, title `<code>`, status,
   * detail. Add members with member().
   * @param {number} status @param {string} code
   */
  problem(status, code) {
    const body = { type: `urn:onething:systems:${code}`, title: code, status, detail: `${code} (a test kit mock)` };
    return this.#respond(status, 'application/problem+json', encode(JSON.stringify(body)));
  }

  /** Add a member to the JSON object the mock answers (after json() with an object, or problem()). @param {string} name @param {unknown} value */
  member(name, value) {
    const a = mocks.expected[this.index].answer;
    if (!a.fail) {
      let v;
      try {
        v = JSON.parse(decode(a.body));
      } catch {
        v = undefined;
      }
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        v[name] = value;
        a.body = encode(JSON.stringify(v));
      }
    }
    return this;
  }

  /** Answer `status` with a body of any media type. @param {number} status @param {string} contentType @param {Uint8Array | string} bytes */
  body(status, contentType, bytes) {
    return this.#respond(status, contentType, typeof bytes === 'string' ? encode(bytes) : Uint8Array.from(bytes));
  }

  /** Add a header to the answer. @param {string} name @param {string} value */
  header(name, value) {
    const a = mocks.expected[this.index].answer;
    if (!a.fail) a.headers.push([String(name).toLowerCase(), String(value)]);
    return this;
  }

  /**
   * Answer with a failure instead of a response: `refused` (transient),
   * `timeout` (transient), `unreachable` (transient), `denied` (permanent:
   * the operator's outbound policy), `protocol` (permanent).
   * @param {'refused' | 'timeout' | 'unreachable' | 'denied' | 'protocol'} failure
   */
  fail(failure) {
    if (!Object.hasOwn(FAILURES, failure)) {
      throw new TypeError(`testkit.http: a mock fails with one of ${Object.keys(FAILURES).join(', ')}, not ${failure}`);
    }
    mocks.expected[this.index].answer = { fail: failure };
    return this;
  }
}

/**
 * Expect one `method` request of `url` (exactly as sent, query included).
 * It answers 200 with no body unless told otherwise.
 * @param {string} method @param {string} url @returns {Expect}
 */
export function expect(method, url) {
  mocks.expected.push({
    method: String(method).toUpperCase(),
    url: String(url),
    answer: { status: 200, headers: [], body: new Uint8Array() },
    met: false,
  });
  return new Expect(mocks.expected.length - 1);
}

/** Every request made so far, in order. @returns {Recorded[]} */
export function requests() {
  return [...mocks.recorded];
}

/** The expectations not met yet, as `METHOD URL`. @returns {string[]} */
export function pending() {
  return mocks.expected.filter((e) => !e.met).map((e) => `${e.method} ${e.url}`);
}

/** Throw (failing the test) unless every expectation was met and no request was unexpected. */
export function verify() {
  const faults = [];
  const left = pending();
  if (left.length > 0) faults.push(`expected requests were not made:\n  - ${left.join('\n  - ')}`);
  if (mocks.unexpected.length > 0) faults.push(`unexpected requests were made:\n  - ${mocks.unexpected.join('\n  - ')}`);
  if (faults.length > 0) throw new Error(`testkit.http: ${faults.join('\n')}`);
}

/** The client's transport under the test kit: record, then answer from the first unmet expectation. */
export function answer(o) {
  const rec = new Recorded(o);
  mocks.recorded.push(rec);
  const e = mocks.expected.find((x) => !x.met && x.method === rec.method && x.url === rec.url);
  if (!e) {
    mocks.unexpected.push(`${rec.method} ${rec.url}`);
    const left = pending();
    throw new Error(
      `testkit.http: unexpected request ${rec.method} ${rec.url}; expected (not yet made): ${left.length ? left.join(', ') : 'nothing'}`,
    );
  }
  e.met = true;
  if (e.answer.fail) throw FAILURES[e.answer.fail]();
  if (e.answer.body.length > o.maxBody) throw new HttpFailure('too-large');
  return { status: e.answer.status, headers: e.answer.headers.map(([n, v]) => [n, v]), body: Uint8Array.from(e.answer.body) };
}
