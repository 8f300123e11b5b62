// Fake `onething:matter/store@0.2.0`: results as jco maps them (the ok
// value returned, the store-error thrown as a payload).
import { wit, ComponentError } from './state.js';

function op(f) {
  if (wit.storeFailure) throw new ComponentError(wit.storeFailure);
  return f();
}

export function get(key) {
  return op(() => wit.store.get(key));
}

export function set(key, value) {
  op(() => wit.store.set(key, value));
}

export function insertNew(key, value) {
  return op(() => {
    if (wit.store.has(key)) return { tag: 'held', val: wit.store.get(key) };
    wit.store.set(key, value);
    return { tag: 'set' };
  });
}

function remove(key) {
  return op(() => wit.store.delete(key));
}
export { remove as delete };
