// The `handler` export a department becomes, shared by the component
// (`component.js`, with the host's imports wired) and its Node stand-in
// (`component-node.js`): describe, check, prefill and handle, each answer
// normalised for jco's bindings (calls.js); a StepError thrown with the
// payload jco sends as the `step-error`; any other exception, a bug, printed
// to stderr (the host keeps a trap's last lines) and thrown on, so the call
// traps as a Rust panic does.
//
// Not for department code: export `department(Dept)` from
// '@onething/sdk/component' instead.

import * as calls from './calls.js';
import { StepError } from './errors.js';

function trap(where, e) {
  const shown = e instanceof Error ? e.stack || `${e.name}: ${e.message}` : String(e);
  console.error(`${where} failed: ${shown}`);
  throw e;
}

/**
 * The handler export for `dept` (an object or class with describe, check,
 * prefill and handle); a TypeError naming what it lacks.
 * @param {any} dept
 */
export function handlerFor(dept) {
  calls.assertDepartment(dept);
  return {
    describe() {
      try {
        return calls.describe(dept);
      } catch (e) {
        return trap('describe()', e);
      }
    },
    check(draft) {
      try {
        return calls.check(dept, draft);
      } catch (e) {
        return trap('check(draft)', e);
      }
    },
    prefill(draft) {
      try {
        return calls.prefill(dept, draft);
      } catch (e) {
        return trap('prefill(draft)', e);
      }
    },
    handle(request) {
      try {
        return calls.handle(dept, request);
      } catch (e) {
        if (e instanceof StepError) throw e;
        return trap('handle(request)', e);
      }
    },
  };
}
