// Fake `onething:matter/log@0.2.0`.
import { wit } from './state.js';

export function log(level, message, attributes) {
  wit.logs.push({ level, message, attributes });
}
