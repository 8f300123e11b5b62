// StepError, what `handle` throws when a step could not be handled (the
// contract's `step-error`: `transient`, worth retrying later, or
// `permanent`, a person must look at it; the message is for operators), and
// `toStepError`, which turns the SDK's own failures escaping `handle` into
// one as the Rust SDK's `?` does: a StoreError (unavailable: transient,
// too-large: permanent) and an HttpError (transient for a refused
// connection, a timeout, an unreachable system, a 5xx or a 429).
//
// A StepError carries `payload`, the `{tag, val}` jco's bindings take when
// an export returning a result throws. Not for problems the applicant can
// fix: those are a `needs-more` outcome.

/** A step that could not be handled. */
export class StepError extends Error {
  /** @param {'transient' | 'permanent'} kind @param {string} message */
  constructor(kind, message) {
    if (kind !== 'transient' && kind !== 'permanent') {
      throw new TypeError(`a step error is transient or permanent, not ${String(kind)}`);
    }
    super(String(message));
    this.name = 'StepError';
    /** @type {'transient' | 'permanent'} */
    this.kind = kind;
    // What jco's export bindings send as the `err` of `result<outcome, step-error>`.
    Object.defineProperty(this, 'payload', { value: { tag: kind, val: String(message) }, enumerable: false });
  }

  /** Worth retrying later: a system the department depends on was down. @param {string} message */
  static transient(message) {
    return new StepError('transient', message);
  }

  /** Retrying will not help; a person must look at it. @param {string} message */
  static permanent(message) {
    return new StepError('permanent', message);
  }

  /** The error for a request naming a step the department does not offer. @param {string} step */
  static unknownStep(step) {
    return new StepError('permanent', `unknown step ${step}`);
  }

  /** Whether the host should retry. */
  get isTransient() {
    return this.kind === 'transient';
  }

  /** The contract's `step-error` variant. @returns {{tag: 'transient' | 'permanent', val: string}} */
  toWire() {
    return { tag: this.kind, val: this.message };
  }
}

/** Why a store operation failed: `kind` is `too-large` or `unavailable` (the contract's `store-error`). */
export class StoreError extends Error {
  /** @param {'too-large' | 'unavailable'} kind @param {string} message */
  constructor(kind, message) {
    super(String(message));
    this.name = 'StoreError';
    this.kind = kind;
  }

  /** The step error the Rust SDK's `?` gives for it. */
  toStepError() {
    return this.kind === 'unavailable'
      ? StepError.transient(`store unavailable: ${this.message}`)
      : StepError.permanent(`store refused a value: ${this.message}`);
  }
}

/**
 * `e` as a StepError, if it is one or converts into one (anything with a
 * `toStepError()`: a StoreError, an HttpError); undefined for anything else
 * (a bug, which should trap as a Rust panic does).
 * @param {unknown} e
 * @returns {StepError | undefined}
 */
export function toStepError(e) {
  if (e instanceof StepError) return e;
  if (e && typeof e === 'object' && typeof (/** @type {any} */ (e).toStepError) === 'function') {
    const converted = /** @type {any} */ (e).toStepError();
    if (converted instanceof StepError) return converted;
  }
  return undefined;
}

/**
 * Run `f`, turning a StoreError or HttpError it throws into a StepError
 * (what Rust's `?` does inside a step).
 * @template T @param {() => T} f @returns {T}
 */
export function stepping(f) {
  try {
    return f();
  } catch (e) {
    throw toStepError(e) ?? e;
  }
}
