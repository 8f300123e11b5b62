// Builders for what a department says about itself in `describe()`: the
// Manifest and each step's StepSpec, every name, title and purpose in
// Chinese and English.
//
//   new Manifest('tax', '国家税务总局厦门市税务局', 'Xiamen Tax Bureau', '1.0.0').step(
//     new StepSpec('tax-registration', '税务登记', 'Tax registration')
//       .reads('enterprise.uscc', '识别纳税人', 'To identify the taxpayer')
//       .writes('tax.registration_date')
//       .timeLimitHours(4))
//
// The builder methods are named as the Rust SDK's; `toWire()` gives the
// contract's records. Not for validating a manifest against the dictionary:
// the host does that at load time, the test kit's assertManifestSound in
// unit tests.

import { text } from './text.js';

/** The time limit a step gets unless it sets one: one day. */
export const DEFAULT_TIME_LIMIT_MINUTES = 24 * 60;
const U32_MAX = 0xffffffff;

/** @typedef {import('./text.js').Text} Text */
/** @typedef {{key: string, required: boolean, purpose: Text}} FieldNeed */
/** @typedef {{code: string, required: boolean, purpose: Text}} MaterialNeed */
/** @typedef {{id: string, title: Text, reads: FieldNeed[], writes: string[], materials: MaterialNeed[], timeLimitMinutes: number}} StepRecord */
/** @typedef {{department: string, name: Text, version: string, steps: StepRecord[]}} ManifestRecord */

/** One step a department offers, being built. */
export class StepSpec {
  /** @type {FieldNeed[]} */ #reads = [];
  /** @type {string[]} */ #writes = [];
  /** @type {MaterialNeed[]} */ #materials = [];
  #minutes = DEFAULT_TIME_LIMIT_MINUTES;

  /** A step reading and writing nothing, with the default time limit. @param {string} id @param {string} titleZh @param {string} titleEn */
  constructor(id, titleZh, titleEn) {
    /** The step id (kebab-case). */
    this.id = String(id);
    /** The step's title. */
    this.title = text(titleZh, titleEn);
  }

  /** Reads a required field, saying why. @param {string} key @param {string} purposeZh @param {string} purposeEn */
  reads(key, purposeZh, purposeEn) {
    this.#reads.push({ key: String(key), required: true, purpose: text(purposeZh, purposeEn) });
    return this;
  }

  /** Reads an optional field, saying why. @param {string} key @param {string} purposeZh @param {string} purposeEn */
  readsOptional(key, purposeZh, purposeEn) {
    this.#reads.push({ key: String(key), required: false, purpose: text(purposeZh, purposeEn) });
    return this;
  }

  /** May write a field in an approval. @param {string} key */
  writes(key) {
    this.#writes.push(String(key));
    return this;
  }

  /** Needs a material, saying why. @param {string} code @param {string} purposeZh @param {string} purposeEn */
  material(code, purposeZh, purposeEn) {
    this.#materials.push({ code: String(code), required: true, purpose: text(purposeZh, purposeEn) });
    return this;
  }

  /** Can use a material if supplied, saying why. @param {string} code @param {string} purposeZh @param {string} purposeEn */
  materialOptional(code, purposeZh, purposeEn) {
    this.#materials.push({ code: String(code), required: false, purpose: text(purposeZh, purposeEn) });
    return this;
  }

  /** Time limit in minutes from the moment the step becomes ready. @param {number} minutes */
  timeLimitMinutes(minutes) {
    if (!Number.isInteger(minutes) || minutes < 0 || minutes > U32_MAX) {
      throw new RangeError(`a time limit is a whole number of minutes from 0 to ${U32_MAX}, not ${minutes}`);
    }
    this.#minutes = minutes;
    return this;
  }

  /** Time limit in hours (saturating at the u32 limit). @param {number} hours */
  timeLimitHours(hours) {
    return this.timeLimitMinutes(Math.min(hours * 60, U32_MAX));
  }

  /** Whether the step declared it reads `key`. @param {string} key */
  readsKey(key) {
    return this.#reads.some((r) => r.key === key);
  }

  /** Whether the step declared it may write `key`. @param {string} key */
  writesKey(key) {
    return this.#writes.includes(key);
  }

  /** The contract's `step-spec` record. @returns {StepRecord} */
  toWire() {
    return {
      id: this.id,
      title: { ...this.title },
      reads: this.#reads.map((r) => ({ ...r, purpose: { ...r.purpose } })),
      writes: [...this.#writes],
      materials: this.#materials.map((m) => ({ ...m, purpose: { ...m.purpose } })),
      timeLimitMinutes: this.#minutes,
    };
  }
}

/** What a department says about itself. */
export class Manifest {
  /** A manifest with no steps yet. @param {string} department @param {string} nameZh @param {string} nameEn @param {string} version */
  constructor(department, nameZh, nameEn, version) {
    /** The department id (kebab-case). */
    this.department = String(department);
    /** The department's name. */
    this.name = text(nameZh, nameEn);
    /** The plugin's own version (semver). */
    this.version = String(version);
    /** The steps, as the contract's records. @type {StepRecord[]} */
    this.steps = [];
  }

  /** Add a step (a StepSpec, or a step record). @param {StepSpec | StepRecord} step */
  step(step) {
    this.steps.push(step instanceof StepSpec ? step.toWire() : step);
    return this;
  }

  /** The step with id `id`, if offered. @param {string} id */
  findStep(id) {
    return this.steps.find((s) => s.id === id);
  }

  /** The contract's `manifest` record. @returns {ManifestRecord} */
  toWire() {
    return { department: this.department, name: { ...this.name }, version: this.version, steps: this.steps.map((s) => ({ ...s })) };
  }
}

/** Whether step record `step` declared it reads `key`. @param {StepRecord} step @param {string} key */
export function readsKey(step, key) {
  return step.reads.some((r) => r.key === key);
}

/** Whether step record `step` declared it may write `key`. @param {StepRecord} step @param {string} key */
export function writesKey(step, key) {
  return step.writes.includes(key);
}
