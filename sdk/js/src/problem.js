// One thing wrong with an application, as the contract's `problem`:
// `{subject, code, message}`, the subject `{tag: 'field', val: key}`,
// `{tag: 'material', val: code}` or `{tag: 'general'}`, the message in
// Chinese and English. Constructors and readers.
//
// Not for collecting several: see Problems in problems.js.

import { text } from './text.js';

/** @typedef {{tag: 'field', val: string} | {tag: 'material', val: string} | {tag: 'general'}} Subject */
/** @typedef {{subject: Subject, code: string, message: import('./text.js').Text}} Problem */

export const Problem = Object.freeze({
  /** A problem with a field, by dictionary key. @param {string} key @param {string} code @param {string} zh @param {string} en @returns {Problem} */
  field: (key, code, zh, en) => ({ subject: { tag: 'field', val: String(key) }, code: String(code), message: text(zh, en) }),
  /** A problem with a material, by material code. @param {string} material @param {string} code @param {string} zh @param {string} en @returns {Problem} */
  material: (material, code, zh, en) => ({
    subject: { tag: 'material', val: String(material) },
    code: String(code),
    message: text(zh, en),
  }),
  /** A problem with the application as a whole. @param {string} code @param {string} zh @param {string} en @returns {Problem} */
  general: (code, zh, en) => ({ subject: { tag: 'general' }, code: String(code), message: text(zh, en) }),
  /** The problem for a step id the department does not offer. @param {string} step @returns {Problem} */
  unknownStep: (step) =>
    Problem.general('unknown-step', `本部门不办理事项 ${step}`, `This department does not handle step ${step}`),
  /** The field key the problem is about, if a field. @param {Problem} p */
  fieldKey: (p) => (p.subject.tag === 'field' ? p.subject.val : undefined),
  /** The material code the problem is about, if a material. @param {Problem} p */
  materialCode: (p) => (p.subject.tag === 'material' ? p.subject.val : undefined),
  /** Whether two subjects are the same. @param {Subject} a @param {Subject} b */
  sameSubject: (a, b) => a.tag === b.tag && (a.tag === 'general' || a.val === /** @type {any} */ (b).val),
});

/**
 * What a field helper answers: `{ok: true, value}` or `{ok: false,
 * problem}` (Rust's `Result<T, Problem>`); `Problems.take` keeps the value
 * or records the problem.
 * @template T
 * @typedef {{ok: true, value: T} | {ok: false, problem: Problem}} Checked
 */

/** @template T @param {T} value @returns {Checked<T>} */
export function ok(value) {
  return { ok: true, value };
}

/** @param {Problem} problem @returns {Checked<never>} */
export function err(problem) {
  return { ok: false, problem };
}
