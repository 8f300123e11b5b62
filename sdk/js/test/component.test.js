// The component side (`@onething/sdk/component`) under Node, its WIT
// imports resolved to fakes shaped like jco's bindings (test/fakes): the
// handler export a department becomes, the host's imports wired into the
// SDK (store errors as StoreErrors, s64 as BigInt), and the synchronous
// wasi:http transport: what it sends, how it reads a body in chunks, drops
// each resource before its parent, and sorts wasi:http error codes.

import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { register } from 'node:module';

register('./fakes/hooks.js', import.meta.url);

const { department } = await import('../src/component.js');
const { wit, resetWit } = await import('./fakes/state.js');
const { Manifest, StepSpec, StepError, approve, clock, config, http, issue, log, store, toStepError } = await import('../src/index.js');

beforeEach(() => resetWit());

const Dept = {
  describe: () =>
    new Manifest('demo', '示例', 'Demo', '0.1.0').step(new StepSpec('s', '事', 'S').reads('a.b', 'p', 'p').writes('x.y')),
  check: () => [],
  prefill: () => [{ key: 'x.y', value: 3 }],
  handle: (r) => {
    if (r.step === 'fail') throw StepError.permanent('no');
    if (r.step === 'bug') throw new TypeError('a bug');
    const n = issue.unique('x.y', r.idempotencyKey, (salt) => `N${salt}`);
    return approve().field('x.y', n);
  },
};

test('a department becomes the handler export jco expects', () => {
  const handler = department(Dept);
  assert.deepEqual(Object.keys(handler), ['describe', 'check', 'prefill', 'handle']);
  const m = handler.describe();
  assert.equal(m.steps[0].timeLimitMinutes, 1440);
  assert.ok(!(m instanceof Manifest), 'a plain record, not the builder');
  assert.deepEqual(handler.prefill({ step: 's', fields: [], materials: [] }), [{ key: 'x.y', value: { tag: 'integer', val: 3n } }]);
  const o = handler.handle({ application: 'a', step: 's', idempotencyKey: 'a/s', attempt: 1, fields: [], materials: [] });
  assert.deepEqual(o, { tag: 'approved', val: { fields: [{ key: 'x.y', value: { tag: 'text', val: 'N0' } }], documents: [], note: undefined } });
  assert.equal(new TextDecoder().decode(wit.store.get('issued/x.y/a/s')), 'N0');
  assert.throws(() => department({}), /lacks describe, check, prefill, handle/);
});

test('a step error is thrown with the payload jco sends; a bug is printed and thrown on', () => {
  const handler = department(Dept);
  assert.throws(
    () => handler.handle({ step: 'fail', fields: [], materials: [] }),
    (e) => e instanceof StepError && Object.hasOwn(e, 'payload') && e.payload.tag === 'permanent' && e.payload.val === 'no',
  );
  const printed = [];
  const original = console.error;
  console.error = (...a) => printed.push(a.join(' '));
  try {
    assert.throws(() => handler.handle({ step: 'bug', fields: [], materials: [] }), TypeError);
  } finally {
    console.error = original;
  }
  assert.match(printed[0], /^handle\(request\) failed: TypeError: a bug/);
});

test('the host imports are wired: log, clock, config, and store errors', () => {
  department(Dept);
  log.info('hello', { k: 'v' });
  assert.deepEqual(wit.logs, [{ level: 'info', message: 'hello', attributes: [['k', 'v']] }]);
  assert.equal(clock.now(), 1800000000);
  assert.deepEqual(clock.today(), { year: 2026, month: 11, day: 28 });
  assert.equal(config.require('base_url'), 'https://sys.test/v1');
  assert.equal(config.secret('token'), 't0k3n');
  store.set('k', 'v');
  assert.equal(store.getText('k'), 'v');
  assert.equal(store.insertNew('k', 'w').heldText(), 'v');
  assert.equal(store.delete('k'), true);
  wit.storeFailure = { tag: 'unavailable', val: 'down' };
  assert.throws(() => store.get('k'), (e) => e.name === 'StoreError' && e.kind === 'unavailable' && e.message === 'down');
  const handler = department(Dept);
  assert.throws(
    () => handler.handle({ application: 'a', step: 's', idempotencyKey: 'a/s', attempt: 1, fields: [], materials: [] }),
    (e) => e instanceof StepError && e.isTransient && e.message === 'store unavailable: down',
  );
});

test('the wasi:http transport sends the request as wasi:http wants it', () => {
  department(Dept);
  wit.answers.push({ status: 201, headers: [['Content-Type', 'application/json']], body: '{"account_number":"HF1"}' });
  const response = http.postJson('https://sys.test/v1/accounts?x=1', { name: '厦门' }).idempotencyKey('a/s').timeout(1500).send();
  assert.equal(response.status, 201);
  assert.equal(response.header('content-type'), 'application/json');
  assert.equal(response.textMember('account_number'), 'HF1');
  const [sent] = wit.sent;
  assert.deepEqual(sent.request.method, { tag: 'post' });
  assert.deepEqual(sent.request.scheme, { tag: 'HTTPS' });
  assert.equal(sent.request.authority, 'sys.test');
  assert.equal(sent.request.path, '/v1/accounts?x=1');
  const headers = sent.request.headers.list.map(([n, v]) => [n, new TextDecoder().decode(v)]);
  assert.deepEqual(headers, [
    ['accept', 'application/json'],
    ['content-type', 'application/json'],
    ['idempotency-key', 'a/s'],
  ]);
  assert.equal(new TextDecoder().decode(sent.body()), '{"name":"厦门"}');
  assert.equal(sent.request.outgoingBody.finished, true);
  assert.deepEqual([sent.options.connect, sent.options.firstByte, sent.options.betweenBytes], [1500000000n, 1500000000n, 1500000000n]);
  assert.deepEqual(wit.dropped, ['out-stream', 'pollable', 'future', 'fields', 'in-stream', 'incoming-body', 'response']);
});

test('a large body is written and read in chunks, within the bound', () => {
  department(Dept);
  const big = new Uint8Array(150 * 1024).fill(0x61);
  wit.answers.push({ status: 200, headers: [], body: big });
  const response = http.post('http://sys.test/upload').body('application/octet-stream', new Uint8Array(10000).fill(1)).send();
  assert.equal(response.body.length, big.length);
  assert.equal(wit.sent[0].body().length, 10000);
  assert.equal(response.url, 'http://sys.test/upload');
  wit.answers.push({ status: 200, headers: [], body: big });
  assert.throws(() => http.get('http://sys.test/x').maxBodyBytes(1000).send(), (e) => e.kind === 'too-large');
  assert.ok(wit.dropped.includes('in-stream'), 'the stream is dropped even when the body is too large');
});

test('wasi:http error codes become the Rust SDK\'s failures', () => {
  department(Dept);
  const cases = [
    [{ handleError: { tag: 'HTTP-request-denied' } }, 'denied', false],
    [{ handleError: { tag: 'destination-IP-prohibited' } }, 'denied', false],
    [{ futureError: { tag: 'connection-refused' } }, 'connection-refused', true],
    [{ futureError: { tag: 'connection-read-timeout' } }, 'timeout', true],
    [{ futureError: { tag: 'DNS-error', val: { rcode: 'NXDOMAIN', infoCode: 3 } } }, 'unreachable', true],
    [{ futureError: { tag: 'internal-error', val: 'boom' } }, 'unreachable', true],
    [{ futureError: { tag: 'HTTP-response-body-size', val: 9n } }, 'too-large', false],
    [{ futureError: { tag: 'TLS-certificate-error' } }, 'protocol', false],
  ];
  for (const [answer, kind, transient] of cases) {
    wit.answers.push(answer);
    assert.throws(
      () => http.get('https://sys.test/v1/x').send(),
      (e) => e.kind === kind && toStepError(e).isTransient === transient,
      JSON.stringify(answer, (_, v) => (typeof v === 'bigint' ? String(v) : v)),
    );
  }
  wit.answers.push({ futureError: { tag: 'connection-read-timeout' } });
  assert.throws(() => http.get('https://sys.test/v1/x').send(), (e) => e.message === 'https://sys.test/v1/x: timed out reading the answer');
  wit.answers.push({ futureError: { tag: 'DNS-error', val: { rcode: 'NXDOMAIN' } } });
  assert.throws(() => http.get('https://sys.test/v1/x').send(), (e) => e.message === 'https://sys.test/v1/x could not be reached: DnsError({"rcode":"NXDOMAIN"})');
  wit.answers.push({ futureError: { tag: 'TLS-certificate-error' } });
  assert.throws(() => http.get('https://sys.test/v1/x').send(), (e) => e.message === 'request to https://sys.test/v1/x failed: TlsCertificateError');
});
