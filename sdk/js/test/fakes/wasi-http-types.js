// Fake `wasi:http/types@0.2.12`: the resources the SDK's transport uses,
// shaped as jco's bindings are (methods, static methods, results returned
// or thrown, Symbol.dispose), checking the rules a real host enforces: a
// body's stream must be dropped before the body is finished.
import { wit, ComponentError } from './state.js';

const dispose = (name) =>
  function () {
    wit.dropped.push(name);
    this.disposed = true;
  };

export class Fields {
  constructor(entries = []) {
    this.list = entries;
  }
  static fromList(entries) {
    for (const [n, v] of entries) {
      if (!(v instanceof Uint8Array)) throw new TypeError(`header ${n} value is not bytes`);
    }
    return new Fields(entries);
  }
  entries() {
    return this.list;
  }
}
Fields.prototype[Symbol.dispose] = dispose('fields');

export class OutputStream {
  constructor(sink) {
    this.sink = sink;
  }
  blockingWriteAndFlush(bytes) {
    if (bytes.length > 4096) throw new ComponentError({ tag: 'last-operation-failed', val: {} });
    this.sink.push(...bytes);
  }
}
OutputStream.prototype[Symbol.dispose] = function () {
  wit.dropped.push('out-stream');
  this.disposed = true;
};

export class OutgoingBody {
  constructor() {
    this.bytes = [];
    this.stream = undefined;
  }
  write() {
    this.stream = new OutputStream(this.bytes);
    return this.stream;
  }
  static finish(body, trailers) {
    if (body.stream && !body.stream.disposed) throw new Error('trap: the body stream is still alive at finish');
    if (trailers !== undefined) throw new Error('no trailers expected');
    body.finished = true;
  }
}

export class OutgoingRequest {
  constructor(headers) {
    this.headers = headers;
    this.outgoingBody = new OutgoingBody();
  }
  setMethod(m) {
    this.method = m;
  }
  setScheme(s) {
    this.scheme = s;
  }
  setAuthority(a) {
    this.authority = a;
  }
  setPathWithQuery(p) {
    this.path = p;
  }
  body() {
    return this.outgoingBody;
  }
}

export class RequestOptions {
  setConnectTimeout(d) {
    this.connect = d;
  }
  setFirstByteTimeout(d) {
    this.firstByte = d;
  }
  setBetweenBytesTimeout(d) {
    if (typeof d !== 'bigint') throw new TypeError('a duration is a bigint');
    this.betweenBytes = d;
  }
}

export class InputStream {
  constructor(bytes) {
    this.bytes = bytes;
    this.at = 0;
    this.reads = 0;
  }
  blockingRead(len) {
    if (typeof len !== 'bigint') throw new TypeError('len is a bigint');
    if (this.at >= this.bytes.length) throw new ComponentError({ tag: 'closed' });
    const chunk = this.bytes.subarray(this.at, this.at + Number(len));
    this.at += chunk.length;
    this.reads++;
    return chunk;
  }
}
InputStream.prototype[Symbol.dispose] = dispose('in-stream');

export class IncomingBody {
  constructor(bytes) {
    this.input = new InputStream(bytes);
  }
  stream() {
    return this.input;
  }
}
IncomingBody.prototype[Symbol.dispose] = dispose('incoming-body');

export class IncomingResponse {
  constructor(status, headers, body) {
    this.code = status;
    this.fields = new Fields(headers);
    this.incoming = new IncomingBody(body);
  }
  status() {
    return this.code;
  }
  headers() {
    return this.fields;
  }
  consume() {
    return this.incoming;
  }
}
IncomingResponse.prototype[Symbol.dispose] = dispose('response');

export class FutureIncomingResponse {
  constructor(result) {
    this.result = result;
  }
  subscribe() {
    const future = this;
    return {
      block() {
        future.ready = true;
      },
      [Symbol.dispose]() {
        wit.dropped.push('pollable');
      },
    };
  }
  get() {
    if (!this.ready) return undefined;
    return { tag: 'ok', val: this.result };
  }
}
FutureIncomingResponse.prototype[Symbol.dispose] = dispose('future');

export function httpErrorCode() {
  return undefined;
}
