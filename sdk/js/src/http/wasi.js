// The HTTP client's transport inside a component: one request through
// `wasi:http/outgoing-handler@0.2.12`, synchronously (the component's
// exports are synchronous): the body written in chunks, the future waited
// on with `subscribe().block()`, the answer read whole with `blockingRead`
// up to the size bound, and wasi:http's error codes sorted into the
// client's HttpFailures as the Rust SDK sorts them.
//
// Imported only by `@onething/sdk/component`: it names WIT specifiers,
// which exist only when jco componentizes. Under Node the test kit answers
// instead.

import { handle as outgoingHandle } from 'wasi:http/outgoing-handler@0.2.12';
import {
  Fields,
  OutgoingRequest,
  OutgoingBody,
  RequestOptions,
  httpErrorCode,
} from 'wasi:http/types@0.2.12';
import { HttpFailure } from './failure.js';
import { encode, decode } from '../utf8.js';

/** What one blocking-write-and-flush takes at most. */
const WRITE_CHUNK = 4096;
/** What one read asks for. */
const READ_CHUNK = 64n * 1024n;

const DISPOSE = typeof Symbol.dispose === 'symbol' ? Symbol.dispose : Symbol.for('dispose');

/** Drop a resource handle now (a child must go before its parent is finished). */
function drop(resource) {
  const f = resource && (resource[DISPOSE] ?? resource[Symbol.for('dispose')]);
  if (typeof f === 'function') f.call(resource);
}

/** The payload a jco binding threw for a WIT `result` error. */
function payload(e) {
  return e && typeof e === 'object' && 'payload' in e ? e.payload : e;
}

/** wasi:http's error-code tag in the Rust SDK's spelling (`HTTP-request-denied` → `HttpRequestDenied`). */
function codeName(code) {
  const name = String(code?.tag ?? code)
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase())
    .join('');
  if (code && typeof code === 'object' && code.val !== undefined) {
    let shown;
    try {
      shown = JSON.stringify(code.val, (_, v) => (typeof v === 'bigint' ? Number(v) : v));
    } catch {
      shown = String(code.val);
    }
    return `${name}(${shown})`;
  }
  return name;
}

/** wasi:http's error code as the client's failure. */
function failure(code) {
  const tag = String(code?.tag ?? '').toLowerCase();
  switch (tag) {
    case 'http-request-denied':
    case 'destination-ip-prohibited':
      return new HttpFailure('denied', codeName(code));
    case 'connection-refused':
      return new HttpFailure('refused', codeName(code));
    case 'dns-timeout':
      return new HttpFailure('timeout', 'resolving the host');
    case 'connection-timeout':
      return new HttpFailure('timeout', 'connecting');
    case 'connection-read-timeout':
      return new HttpFailure('timeout', 'reading the answer');
    case 'connection-write-timeout':
      return new HttpFailure('timeout', 'writing the request');
    case 'http-response-timeout':
      return new HttpFailure('timeout', 'waiting for the answer');
    case 'http-response-body-size':
      return new HttpFailure('too-large', codeName(code));
    case 'dns-error':
    case 'destination-not-found':
    case 'destination-unavailable':
    case 'destination-ip-unroutable':
    case 'connection-terminated':
    case 'connection-limit-reached':
    case 'http-response-incomplete':
    case 'internal-error':
      return new HttpFailure('unreachable', codeName(code));
    default:
      return new HttpFailure('protocol', codeName(code));
  }
}

function streamFailure(e) {
  const p = payload(e);
  if (p && p.tag === 'closed') return new HttpFailure('unreachable', 'the connection closed');
  if (p && p.tag === 'last-operation-failed') {
    let code;
    try {
      code = httpErrorCode(p.val);
    } catch {
      code = undefined;
    }
    if (code) return failure(code);
    let shown = 'the stream failed';
    try {
      shown = p.val.toDebugString();
    } catch {
      // keep the generic words
    }
    return new HttpFailure('unreachable', shown);
  }
  return new HttpFailure('protocol', e instanceof Error ? e.message : String(e));
}

function attempt(what, f) {
  try {
    return f();
  } catch (e) {
    const p = payload(e);
    if (p && typeof p === 'object' && typeof p.tag === 'string') throw failure(p);
    throw new HttpFailure('protocol', `the ${what} was refused`);
  }
}

const NANOS_PER_MS = 1000000n;

/**
 * Send one request (the client's `outgoing`) and read the answer.
 * @param {{method: string, url: import('./url.js').Url, headers: Array<[string, string]>, body: Uint8Array, timeouts: {connectMs: number, firstByteMs: number, betweenBytesMs: number}, maxBody: number}} o
 * @returns {{status: number, headers: Array<[string, string]>, body: Uint8Array}}
 */
export function send(o) {
  const headers = attempt('header list', () => Fields.fromList(o.headers.map(([n, v]) => [n, encode(v)])));
  const request = new OutgoingRequest(headers);
  attempt('method', () => request.setMethod({ tag: o.method.toLowerCase() }));
  attempt('scheme', () => request.setScheme({ tag: o.url.https ? 'HTTPS' : 'HTTP' }));
  attempt('authority', () => request.setAuthority(o.url.authority));
  attempt('path', () => request.setPathWithQuery(o.url.pathAndQuery));
  const body = attempt('body', () => request.body());

  const options = new RequestOptions();
  const nanos = (ms) => BigInt(Math.round(ms)) * NANOS_PER_MS;
  // A host that does not support one of these keeps its own: not a fault.
  for (const [set, ms] of [
    ['setConnectTimeout', o.timeouts.connectMs],
    ['setFirstByteTimeout', o.timeouts.firstByteMs],
    ['setBetweenBytesTimeout', o.timeouts.betweenBytesMs],
  ]) {
    try {
      options[set](nanos(ms));
    } catch {
      // the host's own timeout applies
    }
  }

  let future;
  try {
    future = outgoingHandle(request, options);
  } catch (e) {
    throw failure(payload(e));
  }
  const out = attempt('body stream', () => body.write());
  try {
    for (let i = 0; i < o.body.length; i += WRITE_CHUNK) {
      try {
        out.blockingWriteAndFlush(o.body.subarray(i, i + WRITE_CHUNK));
      } catch (e) {
        throw streamFailure(e);
      }
    }
  } finally {
    drop(out);
  }
  try {
    OutgoingBody.finish(body, undefined);
  } catch (e) {
    throw failure(payload(e));
  }

  const pollable = future.subscribe();
  pollable.block();
  drop(pollable);
  const got = future.get();
  drop(future);
  if (got === undefined || got.tag !== 'ok') throw new HttpFailure('protocol', 'no answer');
  if (got.val.tag !== 'ok') throw failure(got.val.val);
  return read(got.val.val, o.maxBody);
}

function read(response, maxBody) {
  const status = response.status();
  const fields = response.headers();
  const headers = fields.entries().map(([n, v]) => [String(n).toLowerCase(), decode(v)]);
  drop(fields);
  const incoming = attempt("answer's body", () => response.consume());
  const stream = attempt("answer's body stream", () => incoming.stream());
  const chunks = [];
  let size = 0;
  try {
    for (;;) {
      let chunk;
      try {
        chunk = stream.blockingRead(READ_CHUNK);
      } catch (e) {
        const p = payload(e);
        if (p && p.tag === 'closed') break;
        throw streamFailure(e);
      }
      if (size + chunk.length > maxBody) throw new HttpFailure('too-large');
      chunks.push(chunk);
      size += chunk.length;
    }
  } finally {
    drop(stream);
    drop(incoming);
    drop(response);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.length;
  }
  return { status, headers, body };
}
