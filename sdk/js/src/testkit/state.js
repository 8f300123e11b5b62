// The test kit's stand-ins for the host's imports, under Node: an in-memory
// store that can be seeded, inspected and made to fail, a log kept for
// inspection, a clock that can be pinned, the operator's configuration and
// secrets, and the HTTP mocks (http.js). Wired as the SDK's host when the
// test kit is imported; `reset()` empties them all.
//
// Not for department code: its tests use the functions in index.js.

import { setHost } from '../host.js';
import { StoreError } from '../errors.js';
import * as dates from '../date.js';
import { answer } from './http.js';

/** China Standard Time, the host's default zone. */
const CST_OFFSET_SECONDS = 8 * 3600;

export const state = {
  /** @type {Map<string, Uint8Array>} */
  store: new Map(),
  /** @type {StoreError | undefined} */
  storeFailure: undefined,
  /** @type {Array<{level: string, message: string, attributes: Array<[string, string]>}>} */
  logs: [],
  /** @type {import('../date.js').Date | undefined} */
  today: undefined,
  /** @type {number | undefined} */
  now: undefined,
  /** @type {Map<string, string>} */
  config: new Map(),
  /** @type {Map<string, string>} */
  secrets: new Map(),
};

export function clearState() {
  state.store = new Map();
  state.storeFailure = undefined;
  state.logs = [];
  state.today = undefined;
  state.now = undefined;
  state.config = new Map();
  state.secrets = new Map();
}

function storeOp(f) {
  if (state.storeFailure) throw new StoreError(state.storeFailure.kind, state.storeFailure.message);
  return f();
}

function now() {
  return state.now ?? Math.floor(Date.now() / 1000);
}

export const fakeHost = Object.freeze({
  log: (level, message, attributes) => {
    state.logs.push({ level, message, attributes: attributes.map(([k, v]) => [k, v]) });
  },
  now: () => BigInt(now()),
  today: () => state.today ?? dates.fromDaysSinceEpoch(Math.floor((now() + CST_OFFSET_SECONDS) / 86400)),
  storeGet: (key) => storeOp(() => (state.store.has(key) ? Uint8Array.from(state.store.get(key)) : undefined)),
  storeSet: (key, value) =>
    storeOp(() => {
      state.store.set(key, Uint8Array.from(value));
    }),
  storeInsertNew: (key, value) =>
    storeOp(() => {
      if (state.store.has(key)) return { tag: 'held', val: Uint8Array.from(state.store.get(key)) };
      state.store.set(key, Uint8Array.from(value));
      return { tag: 'set' };
    }),
  storeDelete: (key) => storeOp(() => state.store.delete(key)),
  configGet: (key) => state.config.get(key),
  configKeys: () => [...state.config.keys()].sort(),
  configSecret: (name) => state.secrets.get(name),
  httpSend: (outgoing) => answer(outgoing),
});

setHost(fakeHost);
