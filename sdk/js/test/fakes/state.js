// What the fake WIT bindings remember and answer, shared by the fakes and
// read by component.test.js: log records, a store (that can fail as the
// host's does, by throwing an error with a `payload`), configuration, and
// the HTTP exchange (each request sent, the answers queued).

export class ComponentError extends Error {
  constructor(payload) {
    super(`component error ${JSON.stringify(payload)}`);
    Object.defineProperty(this, 'payload', { value: payload, enumerable: false });
  }
}

export const wit = {
  logs: [],
  store: new Map(),
  storeFailure: undefined,
  config: new Map([['base_url', 'https://sys.test/v1']]),
  secrets: new Map([['token', 't0k3n']]),
  /** Requests sent, as the fake saw them. */
  sent: [],
  /** What the next requests get: {status, headers, body} | {handleError} | {futureError}. */
  answers: [],
  /** Resources dropped, in order (`out-stream`, `in-stream`, ...). */
  dropped: [],
};

export function resetWit() {
  wit.logs = [];
  wit.store = new Map();
  wit.storeFailure = undefined;
  wit.sent = [];
  wit.answers = [];
  wit.dropped = [];
}
