// Calling a department as the host does, shared by the component's export
// (`@onething/sdk/component`) and the test kit, so both behave alike: the
// answers normalised for the host (wire.js), and a failure escaping
// `handle` turned into a StepError where the Rust SDK's `?` would (a
// StoreError, an HttpError); anything else is a bug and is thrown as it is
// (in a component it traps, as a Rust panic does).
//
// A department is any object with describe(), check(draft), prefill(draft)
// and handle(request): a plain object, or a class with static methods.

import * as wire from './wire.js';
import { toStepError } from './errors.js';

const METHODS = ['describe', 'check', 'prefill', 'handle'];

/** Throw a TypeError unless `dept` has the four methods. @param {any} dept */
export function assertDepartment(dept) {
  const missing = METHODS.filter((m) => typeof dept?.[m] !== 'function');
  if (missing.length > 0) {
    throw new TypeError(
      `a department needs describe(), check(draft), prefill(draft) and handle(request); this one lacks ${missing.join(', ')}`,
    );
  }
}

/** @param {any} dept */
export function describe(dept) {
  return wire.manifest(dept.describe());
}

/** @param {any} dept @param {any} draft */
export function check(dept, draft) {
  return wire.problems(dept.check(draft), 'check(draft)');
}

/** @param {any} dept @param {any} draft */
export function prefill(dept, draft) {
  return wire.fields(dept.prefill(draft) ?? [], 'prefill(draft)');
}

/**
 * The outcome of `dept.handle(request)`, or a thrown StepError.
 * @param {any} dept @param {any} request
 */
export function handle(dept, request) {
  let result;
  try {
    result = dept.handle(request);
  } catch (e) {
    throw toStepError(e) ?? e;
  }
  return wire.outcome(result, 'handle(request)');
}
