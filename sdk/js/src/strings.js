// String helpers that behave as Rust's do, so both SDKs answer alike:
// `trim` removes Unicode White_Space only (JavaScript's own trim also
// removes U+FEFF, which Rust keeps).
//
// Not for anything locale-dependent.

const EDGES = /^\p{White_Space}+|\p{White_Space}+$/gu;

/** `s` without leading and trailing Unicode White_Space. @param {string} s */
export function trim(s) {
  return String(s).replace(EDGES, '');
}

/** Whether `s` is empty or only White_Space. @param {string} s */
export function isBlank(s) {
  return trim(s) === '';
}
