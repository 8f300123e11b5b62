// The host's imports through the test kit's stand-ins: the store and its
// reservations, issuing numbers idempotently (the Rust key layout), the
// operator's configuration and secrets (the Rust messages), the log, the
// clock, and the message when no host is wired at all.

import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import * as testkit from '../src/testkit/index.js';
import { StepError, StoreError, clock, config, issue, log, store } from '../src/index.js';

beforeEach(() => testkit.reset());

test('the store stand-in: get, set, insert-new, delete, reserve', () => {
  testkit.seed('a', '1');
  assert.deepEqual([...store.get('a')], [0x31]);
  assert.equal(store.getText('a'), '1');
  assert.equal(store.get('nothing'), undefined);
  const held = store.insertNew('a', '2');
  assert.ok(!held.isSet());
  assert.equal(held.heldText(), '1');
  assert.ok(store.insertNew('b', Uint8Array.from([2])).isSet());
  assert.equal(store.insertNew('b', '3').held()[0], 2);
  assert.deepEqual(testkit.storedKeys(), ['a', 'b']);
  assert.equal(store.delete('a'), true);
  assert.equal(store.delete('a'), false);
  store.set('c', 'x');
  assert.equal(testkit.storedText('c'), 'x');
  assert.equal(store.reserve('name:x', 'k1'), undefined);
  assert.equal(store.reserve('name:x', 'k1'), undefined, 'a retry holds it still');
  assert.equal(store.reserve('name:x', 'k2'), 'k1');
  assert.throws(() => store.set('d', 5), /a Uint8Array or a string/);
  testkit.failStore('unavailable', 'down');
  assert.throws(() => store.get('a'), (e) => e instanceof StoreError && e.kind === 'unavailable' && e.toStepError().isTransient);
  testkit.failStore(null);
  assert.equal(store.getText('c'), 'x');
  testkit.reset();
  assert.deepEqual(testkit.storedKeys(), []);
});

test('issue.unique: same key, same number; another key, another number', () => {
  const first = issue.unique('cert', 'app-1/s', (salt) => `N${salt % 2}`);
  assert.equal(first, 'N0');
  assert.equal(issue.unique('cert', 'app-1/s', () => 'other'), 'N0');
  assert.equal(issue.unique('cert', 'app-2/s', (salt) => `N${salt % 2}`), 'N1');
  assert.throws(
    () => issue.unique('cert', 'app-3/s', (salt) => `N${salt % 2}`),
    (e) => e instanceof StepError && e.isTransient && e.message === 'no free cert number after 64 candidates',
  );
  assert.equal(testkit.storedText('number/cert/N1'), 'app-2/s');
  assert.equal(testkit.storedText('issued/cert/app-1/s'), 'N0');
});

test('issue.unique keeps the number a concurrent attempt issued first', () => {
  // The first attempt reserved N0 and recorded it; this attempt finds the
  // record already there when it tries to insert its own.
  let calls = 0;
  testkit.seed('number/cert/N7', 'app-1/s');
  const number = issue.unique('cert', 'app-1/s', () => {
    calls++;
    if (calls === 1) testkit.seed('issued/cert/app-1/s', 'N7');
    return 'N8';
  });
  assert.equal(number, 'N7');
  assert.equal(testkit.storedText('number/cert/N8'), undefined, 'its own reservation is freed');
});

test('issue.remembered', () => {
  assert.equal(issue.remembered('date', 'k', () => '2026-11-28'), '2026-11-28');
  assert.equal(issue.remembered('date', 'k', () => '2026-11-29'), '2026-11-28');
  testkit.failStore('unavailable', 'down');
  assert.throws(() => issue.remembered('date', 'k2', () => ''), (e) => e instanceof StepError && e.isTransient);
  testkit.failStore('too-large', 'quota');
  assert.throws(
    () => issue.unique('cert', 'k3', () => 'x'),
    (e) => e instanceof StepError && !e.isTransient && e.message === 'store refused a value: quota',
  );
});

test('the configuration the operator set', () => {
  assert.equal(config.get('base_url'), undefined);
  assert.deepEqual(config.keys(), []);
  testkit.config('base_url', 'http://h/x/v1');
  testkit.config('a', '1');
  testkit.config('blank', ' ');
  testkit.secret('token', 's3cret');
  assert.deepEqual(config.keys(), ['a', 'base_url', 'blank']);
  assert.equal(config.get('a'), '1');
  assert.equal(config.secret('token'), 's3cret');
  assert.equal(config.secret('a'), undefined);
  assert.equal(config.require('base_url'), 'http://h/x/v1');
  assert.throws(
    () => config.require('blank'),
    (e) => e instanceof StepError && !e.isTransient && e.message === 'the configuration value `blank` is not set for this department',
  );
  assert.throws(
    () => config.requireFor('tax', 'missing'),
    (e) =>
      e.message ===
      "department tax: the configuration value `missing` is not set (set it under [config.tax] in the host's configuration)",
  );
  testkit.unsetConfig('base_url');
  assert.equal(config.get('base_url'), undefined);
});

test('the log and the clock', () => {
  log.info('issued', { step: 'x' });
  log.warn('w');
  log.write('error', 'e', [['n', 1]]);
  const logs = testkit.logs();
  assert.equal(logs.length, 3);
  assert.equal(logs[0].level, 'info');
  assert.deepEqual(logs[0].attributes, [['step', 'x']]);
  assert.deepEqual(logs[2].attributes, [['n', '1']]);
  assert.throws(() => log.write('loud', 'x'), /a log level is one of trace, debug, info, warn, error/);
  assert.ok(clock.today().year >= 2024, 'an unpinned clock is plausible');
  testkit.pinToday('2026-11-28');
  testkit.pinNow(1800000000);
  assert.deepEqual(clock.today(), { year: 2026, month: 11, day: 28 });
  assert.equal(clock.now(), 1800000000);
  assert.throws(() => testkit.date('2026-02-30'), /is not a YYYY-MM-DD date/);
});

test('without a host, the SDK says how to wire one', () => {
  const index = fileURLToPath(new URL('../src/index.js', import.meta.url));
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', `import { store } from ${JSON.stringify(index)}; store.get('k');`], {
    encoding: 'utf8',
  });
  assert.notEqual(child.status, 0);
  assert.match(child.stderr, /no host is wired, so storeGet\(\) cannot answer/);
  assert.match(child.stderr, /@onething\/sdk\/component/);
});
