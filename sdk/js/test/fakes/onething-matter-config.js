// Fake `onething:matter/config@0.2.0`.
import { wit } from './state.js';

export function get(key) {
  return wit.config.get(key);
}

export function keys() {
  return [...wit.config.keys()].sort();
}

export function secret(name) {
  return wit.secrets.get(name);
}
