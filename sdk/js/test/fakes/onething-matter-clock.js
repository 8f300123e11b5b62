// Fake `onething:matter/clock@0.2.0` (s64 as BigInt, as jco passes it).
export function now() {
  return 1800000000n;
}

export function today() {
  return { year: 2026, month: 11, day: 28 };
}
