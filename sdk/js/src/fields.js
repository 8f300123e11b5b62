// Typed, read-only access to the fields and materials of a call, by
// dictionary key and material code.
//
// The host already checked every value against the dictionary, so a date
// field holds a date; the `require*` helpers still turn an absent or
// mistyped value into a Problem (`missing`, `wrong-type`, or an identifier's
// code: `bad-check-digit`, ...) instead of an exception, so nothing an
// applicant sends can crash a department. They answer `{ok: true, value}` or
// `{ok: false, problem}`; `problems.take(...)` keeps one or records the
// other. Money comes back as Money, integers as BigInt (the contract's s64).
//
// Fields issued by an earlier step (`issued = true` in the dictionary) do
// not exist yet when `check` sees a draft: read them with the `issued*`
// helpers, whose absence is fine in a draft (`Fields.ofDraft`) and
// `missing` when handling. Not for writing fields: see `approve()`.

import { Money } from './money.js';
import { Problem, ok, err } from './problem.js';
import { trim, isBlank } from './strings.js';
import { ResidentId, validateUscc, validateBankCard } from './ids/index.js';

/** @typedef {import('./values.js').Value} Value */
/** @typedef {import('./values.js').Item} Item */
/** @typedef {import('./values.js').Field} Field */
/** @typedef {import('./values.js').Material} Material */
/** @typedef {import('./problem.js').Problem} ProblemT */
/** @template T @typedef {import('./problem.js').Checked<T>} Checked */

function missing(key) {
  return Problem.field(key, 'missing', `请填写 ${key}`, `Please fill in ${key}: it is required`);
}

function idProblem(key, what, e) {
  return Problem.field(
    key,
    e.code,
    `${what[0]}有误：${e.messageZh}（${key}）`,
    `The ${what[1]} is not valid: ${e.message} (${key})`,
  );
}

function idChecked(key, what, f) {
  try {
    return ok(f());
  } catch (e) {
    if (e && e.name === 'IdError') return err(idProblem(key, what, e));
    throw e;
  }
}

const RESIDENT_ID = ['公民身份号码', 'resident ID number'];
const USCC = ['统一社会信用代码', 'unified social credit code'];
const BANK_CARD = ['银行卡号', 'bank card number'];

/** The fields of a call, looked up by dictionary key. */
export class Fields {
  /**
   * Wrap a list of fields; `{draft: true}` for a draft's (see `issued*`).
   * @param {Field[]} fields @param {{draft?: boolean}} [options]
   */
  constructor(fields, options = {}) {
    /** @type {Field[]} */
    this.list = Array.isArray(fields) ? fields : [];
    /** Whether these are a draft's fields. */
    this.isDraft = Boolean(options.draft);
  }

  /** The fields of a request (or prefill): everything the step reads is expected. @param {{fields: Field[]}} request */
  static of(request) {
    return new Fields(request.fields);
  }

  /** The fields of a draft (`check`): issued fields may be absent. @param {{fields: Field[]}} draft */
  static ofDraft(draft) {
    return new Fields(draft.fields, { draft: true });
  }

  /** The value under `key`, if present. @param {string} key @returns {Value | undefined} */
  get(key) {
    const f = this.list.find((x) => x.key === key);
    return f ? f.value : undefined;
  }

  /** Whether `key` is present. @param {string} key */
  has(key) {
    return this.get(key) !== undefined;
  }

  /** Every key present, in the order received. @returns {string[]} */
  keys() {
    return this.list.map((f) => f.key);
  }

  /** Number of fields. */
  get length() {
    return this.list.length;
  }

  /** A text or choice field, trimmed; undefined if absent, blank or of another type. @param {string} key */
  text(key) {
    const v = this.get(key);
    return v && v.tag === 'text' && !isBlank(v.val) ? trim(v.val) : undefined;
  }

  /** A date field. @param {string} key @returns {import('./date.js').Date | undefined} */
  date(key) {
    const v = this.get(key);
    return v && v.tag === 'date' ? v.val : undefined;
  }

  /** A boolean field. @param {string} key @returns {boolean | undefined} */
  boolean(key) {
    const v = this.get(key);
    return v && v.tag === 'boolean' ? v.val : undefined;
  }

  /** An integer field, as a BigInt. @param {string} key @returns {bigint | undefined} */
  integer(key) {
    const v = this.get(key);
    return v && v.tag === 'integer' ? BigInt(v.val) : undefined;
  }

  /** A money field. @param {string} key @returns {Money | undefined} */
  money(key) {
    const v = this.get(key);
    return v && v.tag === 'money' ? new Money(v.val) : undefined;
  }

  /** A list field's elements (empty lists included). @param {string} key @returns {Item[] | undefined} */
  items(key) {
    const v = this.get(key);
    return v && v.tag === 'items' ? v.val : undefined;
  }

  /**
   * A list of texts, each trimmed; undefined if absent, not a list, or
   * holding an element that is not text.
   * @param {string} key @returns {string[] | undefined}
   */
  texts(key) {
    const items = this.items(key);
    if (!items || !items.every((i) => i.tag === 'text')) return undefined;
    return items.map((i) => trim(/** @type {string} */ (i.val)));
  }

  /** A list of amounts; undefined if absent, not a list, or holding a non-money element. @param {string} key @returns {Money[] | undefined} */
  monies(key) {
    const items = this.items(key);
    if (!items || !items.every((i) => i.tag === 'money')) return undefined;
    return items.map((i) => new Money(/** @type {bigint} */ (i.val)));
  }

  /** A decimal field (an integer is widened); undefined for NaN or infinities. @param {string} key @returns {number | undefined} */
  decimal(key) {
    const v = this.get(key);
    if (v && v.tag === 'decimal' && Number.isFinite(v.val)) return v.val;
    if (v && v.tag === 'integer') return Number(v.val);
    return undefined;
  }

  /** @template T @param {string} key @param {string} expected @param {T | undefined} typed @returns {Checked<T>} */
  #required(key, expected, typed) {
    if (typed !== undefined) return ok(typed);
    const v = this.get(key);
    if (v === undefined) return err(missing(key));
    if (v.tag === 'text' && isBlank(v.val)) return err(missing(key));
    return err(
      Problem.field(
        key,
        'wrong-type',
        `${key} 应为 ${expected} 类型，收到 ${v.tag}`,
        `${key} should be of type ${expected}, not ${v.tag}`,
      ),
    );
  }

  /** A required text or choice field, or a `missing` / `wrong-type` problem. @param {string} key @returns {Checked<string>} */
  requireText(key) {
    return this.#required(key, 'text', this.text(key));
  }

  /** A required date field, or its problem. @param {string} key @returns {Checked<import('./date.js').Date>} */
  requireDate(key) {
    return this.#required(key, 'date', this.date(key));
  }

  /** A required boolean field, or its problem. @param {string} key @returns {Checked<boolean>} */
  requireBoolean(key) {
    return this.#required(key, 'boolean', this.boolean(key));
  }

  /** A required integer field (BigInt), or its problem. @param {string} key @returns {Checked<bigint>} */
  requireInteger(key) {
    return this.#required(key, 'integer', this.integer(key));
  }

  /** A required decimal field, or its problem. @param {string} key @returns {Checked<number>} */
  requireDecimal(key) {
    return this.#required(key, 'decimal', this.decimal(key));
  }

  /** A required money field, or its problem. @param {string} key @returns {Checked<Money>} */
  requireMoney(key) {
    return this.#required(key, 'money', this.money(key));
  }

  /** A required list field (it may be empty), or its problem. @param {string} key @returns {Checked<Item[]>} */
  requireItems(key) {
    return this.#required(key, 'items', this.items(key));
  }

  /** A required list of texts, or its problem (`wrong-type` also when an element is not text). @param {string} key @returns {Checked<string[]>} */
  requireTexts(key) {
    return this.#required(key, 'items of text', this.texts(key));
  }

  /**
   * An optional resident ID number: undefined if absent, else the parsed
   * number or the problem whose code is the identifier's (`bad-check-digit`, ...).
   * @param {string} key @returns {Checked<ResidentId> | undefined}
   */
  residentId(key) {
    const t = this.text(key);
    return t === undefined ? undefined : idChecked(key, RESIDENT_ID, () => ResidentId.parse(t));
  }

  /** A required resident ID number, parsed, or its problem. @param {string} key @returns {Checked<ResidentId>} */
  requireResidentId(key) {
    const t = this.requireText(key);
    return t.ok ? idChecked(key, RESIDENT_ID, () => ResidentId.parse(t.value)) : t;
  }

  /** A required unified social credit code, verified, or its problem. @param {string} key @returns {Checked<string>} */
  requireUscc(key) {
    const t = this.requireText(key);
    return t.ok ? idChecked(key, USCC, () => (validateUscc(t.value), t.value)) : t;
  }

  /** A required bank card number (12 to 19 digits, Luhn), or its problem. @param {string} key @returns {Checked<string>} */
  requireBankCard(key) {
    const t = this.requireText(key);
    return t.ok ? idChecked(key, BANK_CARD, () => (validateBankCard(t.value), t.value)) : t;
  }

  /** @template T @param {string} key @param {() => Checked<T>} require @returns {Checked<T | undefined>} */
  #issued(key, require) {
    return this.isDraft && !this.has(key) ? ok(undefined) : require();
  }

  /** A text an earlier step issues: `ok(undefined)` while absent in a draft, else as requireText. @param {string} key @returns {Checked<string | undefined>} */
  issuedText(key) {
    return this.#issued(key, () => this.requireText(key));
  }

  /** A resident ID number an earlier step issues (see issuedText). @param {string} key @returns {Checked<ResidentId | undefined>} */
  issuedResidentId(key) {
    return this.#issued(key, () => this.requireResidentId(key));
  }

  /** A credit code an earlier step issues (see issuedText). @param {string} key @returns {Checked<string | undefined>} */
  issuedUscc(key) {
    return this.#issued(key, () => this.requireUscc(key));
  }
}

/** The materials of a call, looked up by material code. */
export class Materials {
  /** @param {Material[]} materials */
  constructor(materials) {
    /** @type {Material[]} */
    this.list = Array.isArray(materials) ? materials : [];
  }

  /** The materials of a request or draft. @param {{materials: Material[]}} call */
  static of(call) {
    return new Materials(call.materials);
  }

  /** The material with `code`, if supplied. @param {string} code */
  get(code) {
    return this.list.find((m) => m.code === code);
  }

  /** Whether it was supplied. @param {string} code */
  has(code) {
    return this.get(code) !== undefined;
  }

  /** A required material, or a `missing` problem about it. @param {string} code @returns {Checked<Material>} */
  require(code) {
    const m = this.get(code);
    return m
      ? ok(m)
      : err(Problem.material(code, 'missing', `请提交材料 ${code}`, `Please supply the material ${code}: it is required`));
  }
}
