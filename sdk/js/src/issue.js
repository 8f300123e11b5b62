// Issuing numbers idempotently, in the department's store: a retried
// attempt of a step gets the number the first attempt issued, and no two
// applications get the same number. The same key layout as the Rust SDK:
// `issued/<kind>/<idempotency key>` remembers what a step issued, and
// `number/<kind>/<number>` reserves a number for one idempotency key.
//
// Use the dictionary key of the field the number is written to as the kind
// (`child.id_number`): a number an operator enters by hand is reserved under
// `number/<field key>/<number>` by the host, so `unique` never hands it out.
// Not for choosing the number's shape: the caller's `candidate` does that
// (usually from `hash.digits` over the idempotency key).

import * as store from './store.js';
import { StepError, StoreError } from './errors.js';

/** How many candidates `unique` tries before giving up. */
export const MAX_CANDIDATES = 64;

function stored(f) {
  try {
    return f();
  } catch (e) {
    if (e instanceof StoreError) throw e.toStepError();
    throw e;
  }
}

/**
 * The number of `kind` issued under `idempotencyKey`: the remembered one on a
 * retry, else the first of `candidate(0)`, `candidate(1)`, ... that no other
 * idempotency key holds. A transient StepError if the store is down or every
 * candidate is taken.
 * @param {string} kind @param {string} idempotencyKey @param {(salt: number) => string} candidate
 * @returns {string}
 */
export function unique(kind, idempotencyKey, candidate) {
  return stored(() => {
    const issuedKey = `issued/${kind}/${idempotencyKey}`;
    const remembered = store.getText(issuedKey);
    if (remembered !== undefined) return remembered;
    for (let salt = 0; salt < MAX_CANDIDATES; salt++) {
      const number = String(candidate(salt));
      const numberKey = `number/${kind}/${number}`;
      if (store.reserve(numberKey, idempotencyKey) !== undefined) continue;
      const inserted = store.insertNew(issuedKey, number);
      if (inserted.isSet()) return number;
      // A concurrent attempt of the same step issued first: keep its number and free ours.
      store.delete(numberKey);
      return /** @type {string} */ (inserted.heldText());
    }
    throw StepError.transient(`no free ${kind} number after ${MAX_CANDIDATES} candidates`);
  });
}

/**
 * A value of `kind` made once under `idempotencyKey` and remembered (a
 * registration date, say): later attempts get the first value back.
 * @param {string} kind @param {string} idempotencyKey @param {() => string} make
 * @returns {string}
 */
export function remembered(kind, idempotencyKey, make) {
  return stored(() => {
    const key = `issued/${kind}/${idempotencyKey}`;
    const value = store.getText(key);
    if (value !== undefined) return value;
    const made = String(make());
    const inserted = store.insertNew(key, made);
    return inserted.isSet() ? made : /** @type {string} */ (inserted.heldText());
  });
}
