// `@onething/sdk/component` under Node (the `node` condition of the
// package's exports): `department(Dept)` checks the department and gives the
// handler export the component would have, without importing the WIT
// specifiers, which exist only inside a component. So a department's module
// ending in `export const handler = department(HousingFund)` loads in unit
// tests too, as the Rust SDK's `export!` only checks the type natively; the
// test kit wires the host's stand-ins.
//
// Not what a component is built from: jco's bundler resolves the `default`
// condition, component.js.

import { handlerFor } from './handler.js';

/**
 * The `handler` export for a department (see component.js).
 * @param {any} dept
 */
export function department(dept, { samples = [] } = {}) {
  if (!Array.isArray(samples)) throw new TypeError('department(dept, { samples }): samples must be an array of [step, {key: value}] pairs');
  // Natively there is no snapshot to warm: the samples are only checked.
  return handlerFor(dept);
}
