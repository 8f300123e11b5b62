// @onething/sdk/testkit: unit-test a department under plain Node
// (`node --test`), no host and no Wasm needed. The same ideas as the Rust
// SDK's test kit.
//
// Importing it wires stand-ins for the host's imports: pin today's date,
// seed and inspect the store and make it fail, read the log, set
// configuration values and secrets, answer HTTP requests from mocks (`http`).
// handle / check / prefill call a department the way the host would: only
// the fields and materials the step declared go in, the answer is normalised
// as the component's would be, and an approval writing an undeclared field
// fails the test. assertManifestSound checks a manifest's shape and every key
// against the data dictionary.
//
// Tests in one file share the stand-ins: call reset() before each
// (`beforeEach(() => testkit.reset())`) and http.verify() after.

import { state, clearState } from './state.js';
import * as http from './http.js';
import * as dates from '../date.js';
import * as calls from '../calls.js';
import * as wire from '../wire.js';
import { toValue } from '../values.js';
import { StoreError } from '../errors.js';
import { encode, decode } from '../utf8.js';
import * as hash from '../hash.js';
import { isKebab, isKey, isSemver } from './ids.js';
import { dictionary, dictionaryFaults } from './dictionary.js';

export { http };
export { Dictionary, DICTIONARY_ENV, dictionary, dictionaryFrom, dictionaryFromToml, didYouMean } from './dictionary.js';
export { isKebab, isKey, isSemver } from './ids.js';

/** Forget the store, log, pinned date and time, store failure, configuration, secrets and HTTP mocks. */
export function reset() {
  clearState();
  http.clearMocks();
}

/** Parse `YYYY-MM-DD`, throwing on a bad date (test code only). @param {string} text */
export function date(text) {
  const d = dates.parse(text);
  if (!d) throw new Error(`testkit.date: ${JSON.stringify(text)} is not a YYYY-MM-DD date`);
  return d;
}

/** Make clock.today() answer `today` (a date record or `YYYY-MM-DD`). @param {import('../date.js').Date | string} today */
export function pinToday(today) {
  state.today = typeof today === 'string' ? date(today) : { ...today };
}

/** Make clock.now() answer `seconds`. @param {number} seconds */
export function pinNow(seconds) {
  state.now = Number(seconds);
}

/** Put `value` (bytes or text) under `key` in the store. @param {string} key @param {Uint8Array | string} value */
export function seed(key, value) {
  state.store.set(key, typeof value === 'string' ? encode(value) : Uint8Array.from(value));
}

/** The bytes under `key` in the store. @param {string} key */
export function stored(key) {
  const v = state.store.get(key);
  return v === undefined ? undefined : Uint8Array.from(v);
}

/** The value under `key` as text. @param {string} key */
export function storedText(key) {
  const v = state.store.get(key);
  return v === undefined ? undefined : decode(v);
}

/** Every key in the store, sorted. */
export function storedKeys() {
  return [...state.store.keys()].sort();
}

/**
 * Make every store call fail: `failStore('unavailable', 'down')` (or a
 * StoreError); `failStore(null)` to succeed again.
 * @param {'unavailable' | 'too-large' | StoreError | null | undefined} kind @param {string} [message]
 */
export function failStore(kind, message = 'a test kit failure') {
  if (kind === null || kind === undefined) state.storeFailure = undefined;
  else if (kind instanceof StoreError) state.storeFailure = kind;
  else if (kind === 'unavailable' || kind === 'too-large') state.storeFailure = new StoreError(kind, message);
  else throw new TypeError(`testkit.failStore: 'unavailable', 'too-large', a StoreError or null, not ${String(kind)}`);
}

/** Set the configuration value `key` (what config.get reads). @param {string} key @param {string} value */
export function config(key, value) {
  state.config.set(key, String(value));
}

/** Remove the configuration value `key`. @param {string} key */
export function unsetConfig(key) {
  state.config.delete(key);
}

/** Give the department the secret `name` (what config.secret reads). @param {string} name @param {string} value */
export function secret(name, value) {
  state.secrets.set(name, String(value));
}

/** Every record logged so far: {level, message, attributes: [[key, value]]}. */
export function logs() {
  return state.logs.map((r) => ({ ...r, attributes: r.attributes.map(([k, v]) => [k, v]) }));
}

/** Builds a request (see request()). */
export class RequestBuilder {
  /** @param {string} step */
  constructor(step) {
    this.request = {
      application: 'app-test',
      step: String(step),
      idempotencyKey: `app-test/${step}`,
      attempt: 1,
      /** @type {import('../values.js').Field[]} */
      fields: [],
      /** @type {import('../values.js').Material[]} */
      materials: [],
    };
  }

  /** Set a field (replacing an earlier value under the key); the value through toValue. @param {string} key @param {unknown} value */
  field(key, value) {
    const v = toValue(value, `testkit field ${key}`);
    this.request.fields = this.request.fields.filter((f) => f.key !== key);
    this.request.fields.push({ key, value: v });
    return this;
  }

  /** Remove a field. @param {string} key */
  without(key) {
    this.request.fields = this.request.fields.filter((f) => f.key !== key);
    return this;
  }

  /** Supply a material (a PDF with a digest derived from its code). @param {string} code */
  material(code) {
    const digest = `sha256:${hash.digits([code], 64).replace(/[89]/g, 'a')}`;
    this.request.materials = this.request.materials.filter((m) => m.code !== code);
    this.request.materials.push({ code, digest, mediaType: 'application/pdf', size: 1024n });
    return this;
  }

  /** Set the attempt number. @param {number} attempt */
  attempt(attempt) {
    this.request.attempt = attempt;
    return this;
  }

  /** Set the idempotency key. @param {string} key */
  idempotencyKey(key) {
    this.request.idempotencyKey = key;
    return this;
  }

  /** Set the application id (and the idempotency key to `<id>/<step>`). @param {string} id */
  application(id) {
    this.request.idempotencyKey = `${id}/${this.request.step}`;
    this.request.application = id;
    return this;
  }

  /** The fields so far. */
  fields() {
    return this.request.fields.map((f) => ({ ...f }));
  }

  /** The materials so far. */
  materials() {
    return this.request.materials.map((m) => ({ ...m }));
  }

  /** The same as a draft of the request's application (what check gets for a submission). */
  draft() {
    return { application: this.request.application, step: this.request.step, fields: this.fields(), materials: this.materials() };
  }

  /** The same as a draft belonging to no application yet (a form checked before it is submitted). */
  form() {
    return { ...this.draft(), application: undefined };
  }

  /** The request. */
  build() {
    return { ...this.request, fields: this.fields(), materials: this.materials() };
  }
}

/** Start building a request for `step`: application `app-test`, idempotency key `app-test/<step>`, attempt 1. @param {string} step */
export function request(step) {
  return new RequestBuilder(step);
}

function filter(dept, step, fields, materials) {
  const spec = calls.describe(dept).steps.find((s) => s.id === step);
  if (!spec) return [fields, materials];
  return [
    fields.filter((f) => spec.reads.some((r) => r.key === f.key)),
    materials.filter((m) => spec.materials.some((n) => n.code === m.code)),
  ];
}

/**
 * The keys an approval of `step` writes that the step did not declare.
 * @param {import('../manifest.js').ManifestRecord | import('../manifest.js').Manifest} manifest @param {string} step @param {any} outcome
 */
export function undeclaredWrites(manifest, step, outcome) {
  const o = wire.outcome(outcome);
  if (o.tag !== 'approved') return [];
  const spec = wire.manifest(manifest).steps.find((s) => s.id === step);
  return o.val.fields.filter((f) => !spec || !spec.writes.includes(f.key)).map((f) => f.key);
}

function asRequest(r) {
  return r instanceof RequestBuilder ? r.build() : r;
}

/**
 * Call `dept.handle` as the host would: only the declared fields and
 * materials are passed, the outcome normalised as in a component, and an
 * approval writing an undeclared field throws (failing the test). Returns
 * the outcome or throws the StepError.
 * @param {any} dept @param {any} req a request, or a RequestBuilder
 */
export function handle(dept, req) {
  calls.assertDepartment(dept);
  const r = asRequest(req);
  const [fields, materials] = filter(dept, r.step, r.fields, r.materials);
  const outcome = calls.handle(dept, { ...r, fields, materials });
  const undeclared = undeclaredWrites(calls.describe(dept), r.step, outcome);
  if (undeclared.length > 0) throw new Error(`step ${r.step} wrote undeclared fields: ${JSON.stringify(undeclared)}`);
  return outcome;
}

/**
 * Call `dept.check` with `draft`, keeping only its declared fields and
 * materials as the host does.
 * @param {any} dept @param {{application?: string, step: string, fields: any[], materials: any[]}} draft
 */
export function checkDraft(dept, draft) {
  calls.assertDepartment(dept);
  const [fields, materials] = filter(dept, draft.step, draft.fields, draft.materials);
  return calls.check(dept, { ...draft, fields, materials });
}

/**
 * Call `dept.check` as the host would: with a draft as it is, or for a
 * request (or RequestBuilder) with a draft of its application's
 * submission; only declared fields and materials are kept.
 * @param {any} dept @param {any} reqOrDraft a draft, a request, or a RequestBuilder
 */
export function check(dept, reqOrDraft) {
  const r = asRequest(reqOrDraft);
  if (r.idempotencyKey === undefined) return checkDraft(dept, r);
  return checkDraft(dept, { application: r.application, step: r.step, fields: r.fields, materials: r.materials });
}

/** Call `dept.prefill` for a request's step with its declared fields (no materials). @param {any} dept @param {any} req */
export function prefill(dept, req) {
  calls.assertDepartment(dept);
  const r = asRequest(req);
  const [fields] = filter(dept, r.step, r.fields, []);
  return calls.prefill(dept, { application: r.application, step: r.step, fields, materials: [] });
}

function incomplete(t) {
  const zh = t.zh.trim() === '';
  const en = t.en.trim() === '';
  if (zh && en) return 'Chinese and English';
  if (zh) return 'Chinese';
  if (en) return 'English';
  return undefined;
}

/**
 * Every fault in the shape of a manifest that the host would refuse without
 * looking at the dictionary (ids, keys, duplicates, time limits, semver, a
 * text missing its Chinese or English), in the Rust test kit's words.
 * @param {any} manifest a Manifest or a manifest record @returns {string[]}
 */
export function manifestFaults(manifest) {
  const m = wire.manifest(manifest);
  const faults = [];
  if (!isKebab(m.department)) faults.push(`department id ${JSON.stringify(m.department)} is not kebab-case`);
  const nameLacks = incomplete(m.name);
  if (nameLacks) faults.push(`department name has no ${nameLacks}`);
  if (!isSemver(m.version)) faults.push(`version ${JSON.stringify(m.version)} is not semver`);
  if (m.steps.length === 0) faults.push('no steps');
  m.steps.forEach((step, i) => {
    const id = step.id;
    if (!isKebab(id)) faults.push(`step id ${JSON.stringify(id)} is not kebab-case`);
    if (m.steps.slice(0, i).some((s) => s.id === id)) faults.push(`step ${id}: declared twice`);
    const titleLacks = incomplete(step.title);
    if (titleLacks) faults.push(`step ${id}: title has no ${titleLacks}`);
    if (step.timeLimitMinutes === 0) faults.push(`step ${id}: time limit is 0`);
    step.reads.forEach((r, j) => {
      if (!isKey(r.key)) faults.push(`step ${id}: reads ${JSON.stringify(r.key)}, not a dictionary key`);
      if (step.reads.slice(0, j).some((o) => o.key === r.key)) faults.push(`step ${id}: reads ${r.key} twice`);
      const lacks = incomplete(r.purpose);
      if (lacks) faults.push(`step ${id}: reads ${r.key} without a purpose in ${lacks}`);
    });
    step.writes.forEach((w, j) => {
      if (!isKey(w)) faults.push(`step ${id}: writes ${JSON.stringify(w)}, not a dictionary key`);
      if (step.writes.slice(0, j).includes(w)) faults.push(`step ${id}: writes ${w} twice`);
    });
    for (const mat of step.materials) {
      if (!isKebab(mat.code)) faults.push(`step ${id}: material ${JSON.stringify(mat.code)} is not kebab-case`);
      const lacks = incomplete(mat.purpose);
      if (lacks) faults.push(`step ${id}: material ${mat.code} without a purpose in ${lacks}`);
    }
  });
  return faults;
}

/**
 * Every fault the host would find when it loads the component: the shape
 * (manifestFaults) and every key and material the dictionary lacks.
 * @param {any} manifest @param {import('./dictionary.js').Dictionary} dict @returns {string[]}
 */
export function manifestFaultsAgainst(manifest, dict) {
  return [...manifestFaults(manifest), ...dictionaryFaults(wire.manifest(manifest), dict)];
}

/**
 * Throw (failing the test), listing every fault, unless the host would
 * accept `manifest` against the platform's dictionary.
 * @param {any} manifest a Manifest (what describe() returns) or a record
 */
export function assertManifestSound(manifest) {
  const m = wire.manifest(manifest);
  const faults = manifestFaultsAgainst(m, dictionary());
  if (faults.length > 0) {
    throw new Error(`the host would refuse department ${m.department}'s manifest:\n  - ${faults.join('\n  - ')}`);
  }
}
