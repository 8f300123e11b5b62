// The one seam between the SDK and whatever answers its calls: the host's
// imports in a component (wired by `@onething/sdk/component`), or the test
// kit's stand-ins under Node (wired by `@onething/sdk/testkit`). The SDK's
// core never imports a WIT specifier itself, so it runs under plain Node.
//
// A host is an object with these functions (StoreError and the HTTP
// failures are thrown, as the SDK's modules expect):
//   log(level, message, [[key, value], ...])
//   now() -> seconds (bigint or number);  today() -> {year, month, day}
//   storeGet(key) -> Uint8Array | undefined;  storeSet(key, bytes)
//   storeInsertNew(key, bytes) -> {tag: 'set'} | {tag: 'held', val: bytes}
//   storeDelete(key) -> boolean
//   configGet(key) -> string | undefined;  configKeys() -> string[]
//   configSecret(name) -> string | undefined
//   httpSend(outgoing) -> {status, headers: [[name, value]], body: Uint8Array}
// Not for department code: use log, clock, store, config and http.

const FUNCTIONS = [
  'log',
  'now',
  'today',
  'storeGet',
  'storeSet',
  'storeInsertNew',
  'storeDelete',
  'configGet',
  'configKeys',
  'configSecret',
  'httpSend',
];

function unwired(name) {
  return () => {
    throw new Error(
      `@onething/sdk: no host is wired, so ${name}() cannot answer. In a component, import '@onething/sdk/component' ` +
        `in the entry file (export const handler = department(YourDepartment)); in a unit test, import '@onething/sdk/testkit'.`,
    );
  };
}

const UNWIRED = Object.freeze(Object.fromEntries(FUNCTIONS.map((n) => [n, unwired(n)])));

let current = UNWIRED;

/**
 * Wire `host` (every function above) as what the SDK calls.
 * @param {Record<string, Function>} host
 */
export function setHost(host) {
  const missing = FUNCTIONS.filter((n) => typeof host?.[n] !== 'function');
  if (missing.length > 0) throw new TypeError(`@onething/sdk: a host needs ${missing.join(', ')}`);
  current = host;
}

/** The wired host. @returns {any} */
export function host() {
  return current;
}
