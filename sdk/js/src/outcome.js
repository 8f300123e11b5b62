// Building what `handle` returns, the contract's `outcome` variant:
// approvals (`approve().field(...).document(...).note(...)`), rejections,
// deferrals and `needs-more` with every problem (`Problems`, which collects
// them so the applicant hears of all at once), and reading an outcome back
// in tests (`Outcome.approval(o)`, `Outcome.text(o, key)`, ...). Every text
// for the applicant is given in Chinese and English.
//
// Not for checking that an approval writes only declared fields: the host
// refuses those, and the test kit's `handle` fails the test.

import { text } from './text.js';
import { toValue } from './values.js';
import { Problem } from './problem.js';

/** @typedef {import('./text.js').Text} Text */
/** @typedef {import('./values.js').Value} Value */
/** @typedef {import('./problem.js').Problem} ProblemT */
/** @typedef {{kind: string, number: string, title: Text}} Document */
/** @typedef {{fields: import('./values.js').Field[], documents: Document[], note: Text | undefined}} ApprovalRecord */
/** @typedef {{tag: 'approved', val: ApprovalRecord} | {tag: 'needs-more', val: ProblemT[]} | {tag: 'rejected', val: Text} | {tag: 'deferred', val: {id: string, reason: Text}}} OutcomeT */

/** An approval being built: fields written, documents issued, a note. */
export class Approval {
  #note = /** @type {Text | undefined} */ (undefined);

  constructor() {
    /** @type {import('./values.js').Field[]} */
    this.fields = [];
    /** @type {Document[]} */
    this.documents = [];
  }

  /**
   * Write a field (it must be in the step's `writes`); the value through
   * toValue. Writing a key again replaces the earlier value.
   * @param {string} key @param {unknown} value
   */
  field(key, value) {
    const v = toValue(value, `approval field ${key}`);
    const existing = this.fields.find((f) => f.key === key);
    if (existing) existing.value = v;
    else this.fields.push({ key: String(key), value: v });
    return this;
  }

  /** Record an issued document, its title in Chinese and English. @param {string} kind @param {string} number @param {string} titleZh @param {string} titleEn */
  document(kind, number, titleZh, titleEn) {
    this.documents.push({ kind: String(kind), number: String(number), title: text(titleZh, titleEn) });
    return this;
  }

  /** Add a note for the applicant (Chinese, English). @param {string} zh @param {string} en */
  note(zh, en) {
    return this.noteText(text(zh, en));
  }

  /** Add a note made elsewhere (e.g. `Text.join`). @param {Text} t */
  noteText(t) {
    this.#note = { zh: String(t.zh), en: String(t.en) };
    return this;
  }

  /** The value written under `key`, if any. @param {string} key @returns {Value | undefined} */
  get(key) {
    return this.fields.find((f) => f.key === key)?.value;
  }

  /** The text written under `key`, if any. @param {string} key */
  text(key) {
    const v = this.get(key);
    return v && v.tag === 'text' ? v.val : undefined;
  }

  /** The contract's `approval` record. @returns {ApprovalRecord} */
  toWire() {
    return {
      fields: this.fields.map((f) => ({ key: f.key, value: f.value })),
      documents: this.documents.map((d) => ({ ...d })),
      note: this.#note,
    };
  }

  /** This approval as an outcome. @returns {OutcomeT} */
  toOutcome() {
    return { tag: 'approved', val: this.toWire() };
  }
}

/** Start an approval with no fields, no documents and no note. */
export function approve() {
  return new Approval();
}

/** Refuse the step, with the reason for the applicant. @param {string} zh @param {string} en @returns {OutcomeT} */
export function reject(zh, en) {
  return { tag: 'rejected', val: text(zh, en) };
}

/** Hand the step to off-line handling under the department's ticket, saying why. @param {string} ticket @param {string} zh @param {string} en @returns {OutcomeT} */
export function defer(ticket, zh, en) {
  return { tag: 'deferred', val: { id: String(ticket), reason: text(zh, en) } };
}

/** Ask the applicant for more: every problem at once. @param {ProblemT[]} problems @returns {OutcomeT} */
export function needsMore(problems) {
  return { tag: 'needs-more', val: [...problems] };
}

/** Collects every problem with an application, so check and handle report them all at once. */
export class Problems {
  /** @type {ProblemT[]} */
  #list = [];

  /** Add a problem with a field. @param {string} key @param {string} code @param {string} zh @param {string} en */
  field(key, code, zh, en) {
    return this.push(Problem.field(key, code, zh, en));
  }

  /** Add a problem with a material. @param {string} material @param {string} code @param {string} zh @param {string} en */
  material(material, code, zh, en) {
    return this.push(Problem.material(material, code, zh, en));
  }

  /** Add a problem with the application as a whole. @param {string} code @param {string} zh @param {string} en */
  general(code, zh, en) {
    return this.push(Problem.general(code, zh, en));
  }

  /** Add a problem, unless its subject already has one with the same code. @param {ProblemT} problem */
  push(problem) {
    if (!this.#list.some((p) => p.code === problem.code && Problem.sameSubject(p.subject, problem.subject))) {
      this.#list.push(problem);
    }
    return this;
  }

  /** Add several problems. @param {Iterable<ProblemT>} problems */
  extend(problems) {
    for (const p of problems) this.push(p);
    return this;
  }

  /**
   * Keep the value of a field helper's answer, or record its problem and
   * give undefined: `const name = problems.take(fields.requireText('child.name'))`.
   * @template T @param {import('./problem.js').Checked<T>} checked @returns {T | undefined}
   */
  take(checked) {
    if (checked.ok) return checked.value;
    this.push(checked.problem);
    return undefined;
  }

  /** Whether nothing is wrong. */
  isEmpty() {
    return this.#list.length === 0;
  }

  /** How many problems. */
  get length() {
    return this.#list.length;
  }

  /** Whether field `key` already has a problem. @param {string} key */
  hasField(key) {
    return this.#list.some((p) => Problem.fieldKey(p) === key);
  }

  /** The problems (for `check`). @returns {ProblemT[]} */
  toArray() {
    return [...this.#list];
  }

  [Symbol.iterator]() {
    return this.toArray()[Symbol.iterator]();
  }

  /**
   * `needs-more` with every problem if there is any; otherwise run
   * `approveFn` (which may issue numbers, and may throw a StepError) and
   * give its approval as the outcome.
   * @param {() => Approval | OutcomeT} approveFn @returns {OutcomeT}
   */
  intoOutcome(approveFn) {
    if (this.#list.length > 0) return needsMore(this.#list);
    const a = approveFn();
    return a instanceof Approval ? a.toOutcome() : a;
  }
}

/** Reading an outcome back (in tests, mostly). */
export const Outcome = Object.freeze({
  /** @param {OutcomeT} o */
  isApproved: (o) => o.tag === 'approved',
  /** The approval record, if approved. @param {OutcomeT} o @returns {ApprovalRecord | undefined} */
  approval: (o) => (o.tag === 'approved' ? o.val : undefined),
  /** The problems, if the applicant must supply more (else empty). @param {OutcomeT} o @returns {ProblemT[]} */
  problems: (o) => (o.tag === 'needs-more' ? o.val : []),
  /** The reason, if rejected. @param {OutcomeT} o @returns {Text | undefined} */
  rejection: (o) => (o.tag === 'rejected' ? o.val : undefined),
  /** The ticket, if deferred. @param {OutcomeT} o */
  ticket: (o) => (o.tag === 'deferred' ? o.val : undefined),
  /** Whether a problem with `code` about field `key` is among the problems. @param {OutcomeT} o @param {string} key @param {string} code */
  hasFieldProblem: (o, key, code) => Outcome.problems(o).some((p) => p.code === code && Problem.fieldKey(p) === key),
  /** The value an approval wrote under `key`. @param {OutcomeT} o @param {string} key @returns {Value | undefined} */
  field: (o, key) => Outcome.approval(o)?.fields.find((f) => f.key === key)?.value,
  /** The text an approval wrote under `key`. @param {OutcomeT} o @param {string} key */
  text: (o, key) => {
    const v = Outcome.field(o, key);
    return v && v.tag === 'text' ? v.val : undefined;
  },
  /** The documents an approval issued (else empty). @param {OutcomeT} o @returns {Document[]} */
  documents: (o) => Outcome.approval(o)?.documents ?? [],
});
