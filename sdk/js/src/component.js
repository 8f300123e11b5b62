// The component side of the SDK: wires the host's real imports
// (`onething:matter/*@0.2.0`, `wasi:http/outgoing-handler@0.2.12`) into the
// SDK, and `department(Dept)` turns a department into the `handler` export
// jco expects, the last line of a department's module (as the Rust SDK's
// `export!`):
//
//   import { department } from '@onething/sdk/component';
//   export const handler = department(HousingFund);
//
// This is what `@onething/sdk/component` resolves to when jco bundles the
// component (the `default` condition of the package's exports). Under Node
// it resolves to component-node.js instead (the `node` condition), which
// wires nothing, so the same module loads in unit tests, where the test kit
// wires its stand-ins: the WIT specifiers imported here exist only inside
// the component.

import { log as hostLog } from 'onething:matter/log@0.2.0';
import { now as hostNow, today as hostToday } from 'onething:matter/clock@0.2.0';
import * as hostStore from 'onething:matter/store@0.2.0';
import * as hostConfig from 'onething:matter/config@0.2.0';
import { send as httpSend } from './http/wasi.js';
import { host, setHost } from './host.js';
import * as calls from './calls.js';
import { toValue } from './values.js';
import { StoreError } from './errors.js';
import { handlerFor } from './handler.js';

/** A store-error variant a binding threw, as a StoreError. */
function storeCall(f) {
  try {
    return f();
  } catch (e) {
    const p = e && typeof e === 'object' && 'payload' in e ? e.payload : e;
    if (p && (p.tag === 'too-large' || p.tag === 'unavailable')) throw new StoreError(p.tag, String(p.val));
    throw e;
  }
}

setHost({
  log: (level, message, attributes) => hostLog(level, message, attributes),
  now: () => hostNow(),
  today: () => hostToday(),
  storeGet: (key) => storeCall(() => hostStore.get(key)),
  storeSet: (key, value) => storeCall(() => hostStore.set(key, value)),
  storeInsertNew: (key, value) => storeCall(() => hostStore.insertNew(key, value)),
  storeDelete: (key) => storeCall(() => hostStore.delete(key)),
  configGet: (key) => hostConfig.get(key),
  configKeys: () => hostConfig.keys(),
  configSecret: (name) => hostConfig.secret(name),
  httpSend,
});

/**
 * The `handler` export for a department (an object or class with
 * describe, check, prefill and handle): the last line of its module,
 * `export const handler = department(HousingFund);`. Its snapshot is
 * warmed up first (see warmUp below), with `samples` if given;
 * `warmUp: false` leaves it cold (to measure what the warm-up saves).
 * @param {any} dept
 */
export function department(dept, { samples = [], warmUp: warm = true } = {}) {
  const handler = handlerFor(dept);
  if (warm) warmUp(dept, samples);
  return handler;
}

/** How many times the warm-up runs each path. */
export const WARM_UP_ROUNDS = 16;

/** Thrown by every host import during the warm-up, where it stops. */
class WarmUpStop extends Error {}

/** The host during the warm-up: every import stops it. */
const WARMING = new Proxy(
  {},
  {
    get: (_, name) => () => {
      throw new WarmUpStop(String(name));
    },
  },
);

/**
 * Run the paths every call takes while jco snapshots the engine (the
 * module is evaluated at build time, under wizer), so each fresh instance
 * starts with their functions already parsed and compiled: `describe`, and
 * `check` and `handle` of each step on a draft and a request with no
 * fields and with each of `samples` (`[step, {key: value}]` pairs: typical
 * applications), each as far as it gets before it would call the host
 * (the host is not there at build time). Only the snapshot changes: a
 * call's answer is the same.
 * @param {any} dept @param {Array<[string, Record<string, unknown>]>} samples
 */
function warmUp(dept, samples) {
  const real = host();
  setHost(WARMING);
  const quietly = (f) => {
    try {
      f();
    } catch {
      // Stopped where it would call the host, or refused the input.
    }
  };
  try {
    const inputs = calls.describe(dept).steps.map((s) => [s.id, []]);
    for (const [step, values] of samples) {
      inputs.push([step, Object.entries(values).map(([key, v]) => ({ key, value: toValue(v, key) }))]);
    }
    for (let round = 0; round < WARM_UP_ROUNDS; round++) {
      for (const [step, fields] of inputs) {
        quietly(() => calls.check(dept, { application: undefined, step, fields, materials: [] }));
        const request = { application: 'warm-up', step, idempotencyKey: `warm-up/${step}`, attempt: 1, fields, materials: [] };
        quietly(() => calls.handle(dept, request));
      }
    }
  } catch {
    // A department whose describe() fails is refused at load, saying why.
  } finally {
    setHost(real);
  }
}
