// A small HTTP client for a department's own system, over the contract's
// `wasi:http/outgoing-handler`, synchronous as the component's exports are
// (no fetch, no promises): build a request (get, post, postJson, ...),
// `send()` it, read the Response (status, headers, body, json(),
// problem(), problemMember()), and let failures become a StepError: an
// HttpError escaping `handle` is transient for a refused connection, a
// timeout, an unreachable system, a 5xx or a 429, and permanent otherwise
// (another 4xx, the operator's outbound policy denying the origin, an
// answer over the size bound or not the JSON expected). The Rust SDK's
// semantics and messages.
//
//   const response = http.postJson(`${base}/registrations`, {uscc})
//     .idempotencyKey(request.idempotencyKey)
//     .send();
//   const held = response.problemMember('already-registered', 'number');
//   const number = held ?? response.errorForStatus().json().taxpayer_number;
//
// Never add a credential here: the operator has the host inject each
// system's Authorization header. Under the test kit, requests go to its
// mocks, never to the network.

import { host } from '../host.js';
import { encode, decode } from '../utf8.js';
import { StepError } from '../errors.js';
import { debugStr } from '../ids/error.js';
import { Url, pathSegment } from './url.js';
import { ProblemDetails } from './problem.js';
import { HttpFailure } from './failure.js';

export { Url, pathSegment, ProblemDetails, HttpFailure };

/** The body size read from an answer unless maxBodyBytes says otherwise: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1 << 20;

/** The timeouts a request gets unless it sets its own, in milliseconds. */
export const DEFAULT_TIMEOUTS = Object.freeze({ connectMs: 5000, firstByteMs: 10000, betweenBytesMs: 10000 });

/** The methods the client sends. */
export const METHODS = Object.freeze(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** Why a request got no answer the department can use. `kind` says which; `isTransient` whether to retry. */
export class HttpError extends Error {
  /**
   * @param {'bad-url' | 'encode' | 'denied' | 'connection-refused' | 'timeout' | 'unreachable' | 'protocol' | 'too-large' | 'json' | 'status'} kind
   * @param {string} message
   * @param {{url?: string, status?: number, problem?: ProblemDetails, method?: string}} [info]
   */
  constructor(kind, message, info = {}) {
    super(message);
    this.name = 'HttpError';
    this.kind = kind;
    /** The URL asked, if it got that far. */
    this.url = info.url;
    /** The status, if the system answered one. */
    this.status = info.status;
    /** The problem the answer carried, if any. */
    this.problem = info.problem;
    this.method = info.method;
  }

  /** Whether retrying later may help: a refused connection, a timeout, an unreachable system, a 5xx or 429. */
  get isTransient() {
    switch (this.kind) {
      case 'connection-refused':
      case 'timeout':
      case 'unreachable':
        return true;
      case 'status':
        return /** @type {number} */ (this.status) >= 500 || this.status === 429;
      default:
        return false;
    }
  }

  /** The StepError `handle` reports for it. */
  toStepError() {
    return this.isTransient ? StepError.transient(this.message) : StepError.permanent(this.message);
  }
}

function failureError(f, url, maxBody) {
  switch (f.kind) {
    case 'denied':
      return new HttpError(
        'denied',
        `the operator's outbound policy refused the request to ${url} (HTTP-request-denied): the department is not allowed that origin`,
        { url },
      );
    case 'refused':
      return new HttpError('connection-refused', `connection to ${url} refused`, { url });
    case 'timeout':
      return new HttpError('timeout', `${url}: timed out ${f.detail}`, { url });
    case 'unreachable':
      return new HttpError('unreachable', `${url} could not be reached: ${f.detail}`, { url });
    case 'too-large':
      return new HttpError('too-large', `the answer of ${url} is over ${maxBody} bytes`, { url });
    default:
      return new HttpError('protocol', `request to ${url} failed: ${f.detail}`, { url });
  }
}

function timeoutMs(ms, what) {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`a ${what} timeout is a number of milliseconds, not ${ms}`);
  }
  return ms;
}

/** A system's answer. */
export class Response {
  /** @param {string} method @param {string} url @param {number} status @param {Array<[string, string]>} headers @param {Uint8Array} body */
  constructor(method, url, status, headers, body) {
    this.method = method;
    /** The URL asked. */
    this.url = url;
    /** The status code. */
    this.status = status;
    /** Every header, names in lowercase, in the order received. */
    this.headers = headers;
    /** The body's bytes. */
    this.body = body;
  }

  /** Whether the status is 2xx. */
  get isSuccess() {
    return this.status >= 200 && this.status < 300;
  }

  /** The first header named `name` (case-insensitive). @param {string} name */
  header(name) {
    const n = String(name).toLowerCase();
    return this.headers.find(([k]) => k.toLowerCase() === n)?.[1];
  }

  /** The body as text (invalid UTF-8 replaced). */
  text() {
    return decode(this.body);
  }

  /** The body parsed as JSON, or an HttpError (permanent: the system does not answer what is expected). */
  json() {
    try {
      return JSON.parse(this.text());
    } catch (e) {
      throw new HttpError(
        'json',
        `the answer of ${this.url} (${this.status}) is not the JSON expected: ${e instanceof Error ? e.message : String(e)}`,
        { url: this.url, status: this.status },
      );
    }
  }

  /**
   * The text member `name` of the JSON object the body holds, or an
   * HttpError (`json`, permanent) saying it is missing: what decoding into
   * a Rust struct with that field checks.
   * @param {string} name @returns {string}
   */
  textMember(name) {
    const v = this.json();
    const member = v !== null && typeof v === 'object' && Object.hasOwn(v, name) ? v[name] : undefined;
    if (typeof member !== 'string') {
      throw new HttpError(
        'json',
        `the answer of ${this.url} (${this.status}) is not the JSON expected: ${member === undefined ? 'missing' : 'not a text'} member \`${name}\``,
        { url: this.url, status: this.status },
      );
    }
    return member;
  }

  /** The problem a 4xx or 5xx answer carries, if its body is a JSON object. @returns {ProblemDetails | undefined} */
  problem() {
    return this.isSuccess ? undefined : ProblemDetails.parse(this.body);
  }

  /**
   * The text member `member` of the problem whose code is `code`, if this
   * answer is that problem (`problemMember('already-registered', 'number')`).
   * @param {string} code @param {string} member @returns {string | undefined}
   */
  problemMember(code, member) {
    const p = this.problem();
    return p && p.code === code ? p.text(member) : undefined;
  }

  /** This response if 2xx; otherwise throws its HttpError (see intoError). */
  errorForStatus() {
    if (this.isSuccess) return this;
    throw this.intoError();
  }

  /** This answer as a `status` HttpError, with the problem it carried. */
  intoError() {
    const problem = ProblemDetails.parse(this.body);
    const suffix = problem ? ` ${problem.summary()}` : '';
    return new HttpError('status', `${this.method} ${this.url} answered ${this.status}${suffix}`, {
      url: this.url,
      status: this.status,
      problem,
      method: this.method,
    });
  }
}

/** A request being built (see get, postJson, request). It does nothing until sent. */
export class RequestBuilder {
  /** @param {string} method @param {string} url */
  constructor(method, url) {
    const m = String(method).toUpperCase();
    if (!METHODS.includes(m)) throw new TypeError(`the client sends ${METHODS.join(', ')}, not ${method}`);
    this.method = m;
    this.url = String(url);
    /** @type {Array<[string, string]>} */
    this.headers = [['accept', 'application/json']];
    /** @type {Uint8Array} */
    this.bodyBytes = new Uint8Array();
    this.timeouts = { ...DEFAULT_TIMEOUTS };
    this.maxBody = DEFAULT_MAX_BODY_BYTES;
    /** @type {HttpError | undefined} */
    this.fault = undefined;
  }

  /**
   * Add a header (names are case-insensitive; a header set twice is sent
   * twice, except accept, content-type and idempotency-key, which replace).
   * @param {string} name @param {string} value
   */
  header(name, value) {
    const n = String(name).toLowerCase();
    if (n === 'content-type' || n === 'idempotency-key' || n === 'accept') {
      this.headers = this.headers.filter(([k]) => k !== n);
    }
    this.headers.push([n, String(value)]);
    return this;
  }

  /** Send `key` as the Idempotency-Key (use the request's idempotencyKey). @param {string} key */
  idempotencyKey(key) {
    return this.header('idempotency-key', key);
  }

  /** The body as JSON, with `Content-Type: application/json`. @param {unknown} value */
  json(value) {
    let encoded;
    try {
      encoded = JSON.stringify(value);
    } catch (e) {
      this.fault = new HttpError(
        'encode',
        `the request body does not encode as JSON: ${e instanceof Error ? e.message : String(e)}`,
      );
      return this;
    }
    if (encoded === undefined) {
      this.fault = new HttpError('encode', `the request body does not encode as JSON: ${typeof value} has no JSON form`);
      return this;
    }
    return this.body('application/json', encode(encoded));
  }

  /** A body of any media type (bytes or text). @param {string} contentType @param {Uint8Array | string} bytes */
  body(contentType, bytes) {
    this.bodyBytes = typeof bytes === 'string' ? encode(bytes) : bytes;
    return this.header('content-type', contentType);
  }

  /** Every timeout at once (connect, first byte, between bytes), in milliseconds. @param {number} ms */
  timeout(ms) {
    const t = timeoutMs(ms, 'request');
    this.timeouts = { connectMs: t, firstByteMs: t, betweenBytesMs: t };
    return this;
  }

  /** How long to wait for the connection, in milliseconds. @param {number} ms */
  connectTimeout(ms) {
    this.timeouts.connectMs = timeoutMs(ms, 'connect');
    return this;
  }

  /** How long to wait for the answer's first byte, in milliseconds. @param {number} ms */
  firstByteTimeout(ms) {
    this.timeouts.firstByteMs = timeoutMs(ms, 'first-byte');
    return this;
  }

  /** How long to wait between two bytes of the answer, in milliseconds. @param {number} ms */
  betweenBytesTimeout(ms) {
    this.timeouts.betweenBytesMs = timeoutMs(ms, 'between-bytes');
    return this;
  }

  /** Read at most `limit` bytes of the answer's body; a longer one is a `too-large` HttpError. @param {number} limit */
  maxBodyBytes(limit) {
    this.maxBody = limit;
    return this;
  }

  /**
   * Send the request and read the whole answer (within the size bound).
   * Every status the system answered is a Response; a request that got no
   * answer throws an HttpError.
   * @returns {Response}
   */
  send() {
    if (this.fault) throw this.fault;
    let url;
    try {
      url = Url.parse(this.url);
    } catch (e) {
      throw new HttpError('bad-url', `bad URL ${debugStr(this.url)}: ${/** @type {Error} */ (e).message}`, { url: this.url });
    }
    const shown = url.toString();
    const outgoing = {
      method: this.method,
      url,
      headers: this.headers.map(([n, v]) => [n, v]),
      body: this.bodyBytes,
      timeouts: { ...this.timeouts },
      maxBody: this.maxBody,
    };
    let answer;
    try {
      answer = host().httpSend(outgoing);
    } catch (e) {
      if (e instanceof HttpFailure) throw failureError(e, shown, this.maxBody);
      throw e;
    }
    if (answer.body.length > this.maxBody) throw failureError(new HttpFailure('too-large'), shown, this.maxBody);
    return new Response(this.method, shown, answer.status, answer.headers, answer.body);
  }

  /** Send, require a 2xx (errorForStatus) and parse the body as JSON. */
  sendJson() {
    return this.send().errorForStatus().json();
  }
}

/** Start a request with any method. @param {string} method @param {string} url */
export function request(method, url) {
  return new RequestBuilder(method, url);
}

/** Start a GET of `url`. @param {string} url */
export function get(url) {
  return request('GET', url);
}

/** Start a POST to `url` with no body. @param {string} url */
export function post(url) {
  return request('POST', url);
}

/** Start a POST to `url` with `body` as JSON. @param {string} url @param {unknown} body */
export function postJson(url, body) {
  return post(url).json(body);
}

/** Start a PUT to `url` with `body` as JSON. @param {string} url @param {unknown} body */
export function putJson(url, body) {
  return request('PUT', url).json(body);
}

/** Start a DELETE of `url`. @param {string} url */
function del(url) {
  return request('DELETE', url);
}
export { del as delete, del };
