// The configuration the operator set for this department
// (`[config.<department>]` in the host's configuration) and the secrets it
// gave it (`[secrets.<department>]`): get, keys, secret, and require /
// requireFor for a value a step cannot do without (a permanent StepError
// naming the key, in the Rust SDK's words).
//
// Prefer not to read a credential at all: the operator can have the host add
// it to requests as a header the plugin never sees. Never log a secret.

import { host } from './host.js';
import { StepError } from './errors.js';
import { isBlank } from './strings.js';

/** The value set under `key`, if any. @param {string} key @returns {string | undefined} */
export function get(key) {
  return host().configGet(String(key)) ?? undefined;
}

/** Every key set, sorted (not the secrets). @returns {string[]} */
export function keys() {
  return [...host().configKeys()];
}

/** The secret named `name`, if the operator gave the department one. @param {string} name @returns {string | undefined} */
export function secret(name) {
  return host().configSecret(String(name)) ?? undefined;
}

/**
 * The value under `key`, or a permanent StepError naming it (a blank value
 * counts as missing).
 * @param {string} key @returns {string}
 */
export function require(key) {
  const v = get(key);
  if (v === undefined || isBlank(v)) {
    throw StepError.permanent(`the configuration value \`${key}\` is not set for this department`);
  }
  return v;
}

/**
 * As require, the error also naming the department and where the operator
 * sets the value.
 * @param {string} department @param {string} key @returns {string}
 */
export function requireFor(department, key) {
  try {
    return require(key);
  } catch (e) {
    if (!(e instanceof StepError)) throw e;
    throw StepError.permanent(
      `department ${department}: the configuration value \`${key}\` is not set ` +
        `(set it under [config.${department}] in the host's configuration)`,
    );
  }
}
