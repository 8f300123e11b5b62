// @onething/sdk: everything a department needs to ship its rules as a
// OneThing plugin, a Wasm component of the world `department` of
// onething:matter@0.2.0, written in JavaScript and built with
// `jco componentize`. The same helpers as the Rust SDK, in JavaScript's
// idiom: values and fields by dictionary key, problems and outcomes,
// identifiers, stable hashing and idempotent issuing, the store, the
// operator's configuration, the log, the clock and an HTTP client for the
// department's own system.
//
// This module never imports a WIT specifier, so it runs under plain Node:
// the component's entry imports '@onething/sdk/component' (which wires the
// host's imports and exports the handler), unit tests '@onething/sdk/testkit'.

export { text, Text } from './text.js';
export { Money, MoneyError } from './money.js';
export { Value, toValue, toItem, field } from './values.js';
export { Problem, ok, err } from './problem.js';
export { Fields, Materials } from './fields.js';
export { Approval, approve, reject, defer, needsMore, Problems, Outcome } from './outcome.js';
export { StepError, StoreError, toStepError, stepping } from './errors.js';
export { Manifest, StepSpec, DEFAULT_TIME_LIMIT_MINUTES } from './manifest.js';
export { Inserted } from './store.js';
export { HttpError } from './http/index.js';
export { setHost } from './host.js';

export * as dates from './date.js';
export * as ids from './ids/index.js';
export * as hash from './hash.js';
export * as issue from './issue.js';
export * as store from './store.js';
export * as config from './config.js';
export * as log from './log.js';
export * as clock from './clock.js';
export * as http from './http/index.js';

/** The version of the WIT package the SDK targets. */
export const WIT_VERSION = 'onething:matter@0.2.0';
