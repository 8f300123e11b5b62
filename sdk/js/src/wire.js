// What crosses to the host, checked and normalised: a department's
// manifest, problems, prefilled fields and outcome turned into exactly the
// records jco's bindings lower (s64 as BigInt, options as undefined, no
// builder objects), or a TypeError naming what is wrong and where. The test
// kit runs the same code, so a unit test fails where the component would.
//
// Not for checking against the dictionary: the host does that.

import { toValue } from './values.js';
import { Approval } from './outcome.js';
import { Manifest, StepSpec } from './manifest.js';

function fail(where, what) {
  throw new TypeError(`${where}: ${what}`);
}

function string(x, where) {
  if (typeof x !== 'string') fail(where, `expected a string, not ${x === null ? 'null' : typeof x}`);
  return x;
}

function textRecord(t, where) {
  if (t === null || typeof t !== 'object') fail(where, 'expected a text {zh, en}');
  return { zh: string(t.zh, `${where}.zh`), en: string(t.en, `${where}.en`) };
}

/** Refuse a Promise (an `async` export), saying why. */
export function notAsync(x, where) {
  if (x !== null && typeof x === 'object' && typeof x.then === 'function') {
    fail(where, 'returned a Promise: the component\'s exports are synchronous (no async/await, no fetch); use the SDK\'s http client, which blocks');
  }
  return x;
}

function list(x, where) {
  if (!Array.isArray(x)) fail(where, `expected an array, not ${x === null ? 'null' : typeof x}`);
  return x;
}

/** A field record. @param {any} f @param {string} where */
export function field(f, where = 'field') {
  if (f === null || typeof f !== 'object') fail(where, 'expected a field {key, value}');
  const key = string(f.key, `${where}.key`);
  return { key, value: toValue(f.value, `${where} ${key}`) };
}

/** A list of field records (prefill's answer, an approval's fields). @param {any} fields @param {string} where */
export function fields(fields, where = 'fields') {
  notAsync(fields, where);
  return list(fields, where).map((f, i) => field(f, `${where}[${i}]`));
}

/** A problem record. @param {any} p @param {string} where */
export function problem(p, where = 'problem') {
  if (p === null || typeof p !== 'object') fail(where, 'expected a problem {subject, code, message}');
  const s = p.subject;
  let subject;
  if (s && s.tag === 'general') subject = { tag: 'general' };
  else if (s && (s.tag === 'field' || s.tag === 'material')) subject = { tag: s.tag, val: string(s.val, `${where}.subject.val`) };
  else fail(`${where}.subject`, 'expected {tag: "field" | "material", val} or {tag: "general"}');
  return { subject, code: string(p.code, `${where}.code`), message: textRecord(p.message, `${where}.message`) };
}

/** A list of problems (check's answer; the Problems collector too). @param {any} problems @param {string} where */
export function problems(problems, where = 'problems') {
  notAsync(problems, where);
  const arr = problems && typeof problems.toArray === 'function' ? problems.toArray() : problems;
  return list(arr, where).map((p, i) => problem(p, `${where}[${i}]`));
}

function approval(a, where) {
  const r = a instanceof Approval ? a.toWire() : a;
  if (r === null || typeof r !== 'object') fail(where, 'expected an approval');
  const documents = list(r.documents ?? [], `${where}.documents`).map((d, i) => ({
    kind: string(d.kind, `${where}.documents[${i}].kind`),
    number: string(d.number, `${where}.documents[${i}].number`),
    title: textRecord(d.title, `${where}.documents[${i}].title`),
  }));
  const note = r.note === undefined || r.note === null ? undefined : textRecord(r.note, `${where}.note`);
  return { fields: fields(r.fields ?? [], `${where}.fields`), documents, note };
}

/**
 * An outcome variant (an Approval stands for `approved`).
 * @param {any} o @param {string} where
 */
export function outcome(o, where = 'outcome') {
  notAsync(o, where);
  if (o instanceof Approval) return { tag: 'approved', val: approval(o, where) };
  if (o === null || typeof o !== 'object' || typeof o.tag !== 'string') {
    fail(where, 'handle must return an outcome (approve()..., needsMore([...]), reject(...), defer(...)) or throw a StepError');
  }
  switch (o.tag) {
    case 'approved':
      return { tag: 'approved', val: approval(o.val, `${where}.approved`) };
    case 'needs-more':
      return { tag: 'needs-more', val: problems(o.val, `${where}.needs-more`) };
    case 'rejected':
      return { tag: 'rejected', val: textRecord(o.val, `${where}.rejected`) };
    case 'deferred':
      if (o.val === null || typeof o.val !== 'object') fail(`${where}.deferred`, 'expected a ticket {id, reason}');
      return {
        tag: 'deferred',
        val: { id: string(o.val.id, `${where}.deferred.id`), reason: textRecord(o.val.reason, `${where}.deferred.reason`) },
      };
    default:
      return fail(where, `no outcome case ${JSON.stringify(o.tag)} (approved, needs-more, rejected, deferred)`);
  }
}

function need(n, where, keyName) {
  return {
    [keyName]: string(n[keyName], `${where}.${keyName}`),
    required: Boolean(n.required),
    purpose: textRecord(n.purpose, `${where}.purpose`),
  };
}

/** A step record (a StepSpec builder or a record). @param {any} s @param {string} where */
export function step(s, where = 'step') {
  const r = s instanceof StepSpec ? s.toWire() : s;
  const minutes = r.timeLimitMinutes;
  if (!Number.isInteger(minutes) || minutes < 0 || minutes > 0xffffffff) {
    fail(`${where}.timeLimitMinutes`, `expected a whole number of minutes, not ${minutes}`);
  }
  return {
    id: string(r.id, `${where}.id`),
    title: textRecord(r.title, `${where}.title`),
    reads: list(r.reads, `${where}.reads`).map((n, i) => need(n, `${where}.reads[${i}]`, 'key')),
    writes: list(r.writes, `${where}.writes`).map((w, i) => string(w, `${where}.writes[${i}]`)),
    materials: list(r.materials, `${where}.materials`).map((n, i) => need(n, `${where}.materials[${i}]`, 'code')),
    timeLimitMinutes: minutes,
  };
}

/** The manifest record (a Manifest builder or a record). @param {any} m */
export function manifest(m) {
  const r = m instanceof Manifest ? m.toWire() : notAsync(m, 'describe()');
  if (r === null || typeof r !== 'object') fail('describe()', 'must return a Manifest');
  return {
    department: string(r.department, 'manifest.department'),
    name: textRecord(r.name, 'manifest.name'),
    version: string(r.version, 'manifest.version'),
    steps: list(r.steps, 'manifest.steps').map((s, i) => step(s, `manifest.steps[${i}]`)),
  };
}
