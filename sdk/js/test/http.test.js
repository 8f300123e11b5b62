// The HTTP client against the test kit's mocks: what it sends, how every
// kind of failure maps to a transient or permanent step error (the Rust
// SDK's rules and messages), problem details, URLs, and the mocks' own
// checks.

import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';

import * as testkit from '../src/testkit/index.js';
import { StepError, http, toStepError } from '../src/index.js';

const URL_ = 'http://sys.test/tax/v1/registrations';

function stepError(send) {
  try {
    const r = send();
    r.errorForStatus();
  } catch (e) {
    const s = toStepError(e);
    assert.ok(s, `not a step error: ${e}`);
    return s;
  }
  throw new Error('expected an error');
}

beforeEach(() => testkit.reset());

test('sends method, headers, body and idempotency key', () => {
  testkit.http
    .expect('POST', URL_)
    .json(201, { taxpayer_number: 'TX1' })
    .header('Location', '/tax/v1/registrations/TX1');
  const response = http
    .postJson(URL_, { uscc: '9135', name: '厦门' })
    .idempotencyKey('app-1/tax/tax-registration')
    .idempotencyKey('app-1/tax/tax-registration')
    .header('X-Trace', 'a')
    .header('x-trace', 'b')
    .timeout(2000)
    .send();
  assert.equal(response.status, 201);
  assert.ok(response.isSuccess);
  assert.equal(response.url, URL_);
  assert.equal(response.header('location'), '/tax/v1/registrations/TX1');
  assert.equal(response.header('content-type'), 'application/json');
  assert.equal(response.headers.length, 2);
  assert.equal(response.json().taxpayer_number, 'TX1');
  assert.equal(response.textMember('taxpayer_number'), 'TX1');
  assert.ok(response.text().includes('TX1'));
  assert.equal(response.problem(), undefined, 'a 2xx carries no problem');
  const sent = testkit.http.requests()[0];
  assert.equal(sent.method, 'POST');
  assert.equal(sent.header('Idempotency-Key'), 'app-1/tax/tax-registration');
  assert.equal(sent.headers.filter(([n]) => n === 'idempotency-key').length, 1);
  assert.equal(sent.headers.filter(([n]) => n === 'x-trace').length, 2);
  assert.equal(sent.header('content-type'), 'application/json');
  assert.equal(sent.header('accept'), 'application/json');
  assert.equal(sent.json().name, '厦门');
  assert.deepEqual(sent.timeouts, { connectMs: 2000, firstByteMs: 2000, betweenBytesMs: 2000 });
  testkit.http.verify();
});

test('a 4xx is readable before it becomes permanent', () => {
  testkit.http.expect('POST', URL_).problem(409, 'already-registered').member('number', 'TX000000000007');
  const response = http.post(URL_).send();
  assert.equal(response.status, 409);
  assert.equal(response.problemMember('already-registered', 'number'), 'TX000000000007');
  assert.equal(response.problemMember('name-taken', 'number'), undefined);
  assert.equal(response.problem().code, 'already-registered');
  assert.equal(response.problem().member('status'), 409);
  assert.throws(
    () => response.errorForStatus(),
    (e) => {
      assert.equal(e.status, 409);
      assert.equal(e.problem.code, 'already-registered');
      assert.ok(!e.isTransient);
      const s = e.toStepError();
      assert.ok(s instanceof StepError && !s.isTransient);
      assert.ok(s.message.includes('POST http://sys.test/tax/v1/registrations answered 409 already-registered'), s.message);
      return true;
    },
  );
  testkit.http.verify();
});

test('failures map to transient or permanent', () => {
  const expect = () => testkit.http.expect('GET', URL_);
  for (const set of [
    () => expect().status(503),
    () => expect().status(502),
    () => expect().problem(429, 'slow-down'),
    () => expect().fail('refused'),
    () => expect().fail('timeout'),
    () => expect().fail('unreachable'),
  ]) {
    set();
    const e = stepError(() => http.get(URL_).send());
    assert.ok(e.isTransient, e.message);
  }
  for (const set of [
    () => expect().problem(404, 'unknown-person'),
    () => expect().problem(422, 'not-local'),
    () => expect().status(400),
    () => expect().status(401),
    () => expect().fail('protocol'),
  ]) {
    set();
    const e = stepError(() => http.get(URL_).send());
    assert.ok(!e.isTransient, e.message);
  }
  expect().fail('denied');
  const denied = stepError(() => http.get(URL_).send());
  assert.ok(!denied.isTransient);
  assert.match(denied.message, /operator's outbound policy refused/);
  assert.match(denied.message, /HTTP-request-denied/);
  expect().fail('refused');
  assert.throws(() => http.get(URL_).send(), (e) => e.kind === 'connection-refused' && e.url === URL_ && e.message === `connection to ${URL_} refused`);
  expect().fail('timeout');
  assert.throws(() => http.get(URL_).send(), (e) => e.message === `${URL_}: timed out waiting for the answer`);
  testkit.http.verify();
});

test('bodies are bounded and JSON is checked', () => {
  testkit.http.expect('GET', URL_).body(200, 'text/plain', 'x'.repeat(101));
  assert.throws(
    () => http.get(URL_).maxBodyBytes(100).send(),
    (e) => e.kind === 'too-large' && e.message === `the answer of ${URL_} is over 100 bytes` && !e.isTransient,
  );
  testkit.http.expect('GET', URL_).body(200, 'text/plain', 'x'.repeat(100));
  assert.equal(http.get(URL_).maxBodyBytes(100).send().body.length, 100);
  testkit.http.expect('GET', URL_).body(200, 'text/html', '<html>');
  assert.throws(() => http.get(URL_).sendJson(), (e) => e.kind === 'json' && e.status === 200 && !e.isTransient);
  testkit.http.expect('GET', URL_).json(200, { other: 1 });
  assert.throws(() => http.get(URL_).send().textMember('number'), /missing member `number`/);
  testkit.http.expect('GET', URL_).status(500);
  assert.throws(() => http.get(URL_).sendJson(), (e) => e.isTransient);
  testkit.http.verify();
});

test('bad URLs and bodies are permanent and send nothing', () => {
  assert.throws(
    () => http.get('/persons/1').send(),
    (e) => e.kind === 'bad-url' && !e.isTransient && e.message === 'bad URL "/persons/1": it must start with http:// or https://',
  );
  assert.throws(() => http.postJson(URL_, { n: 1n }).send(), (e) => e.kind === 'encode' && /does not encode as JSON/.test(e.message));
  assert.throws(() => http.postJson(URL_, undefined).send(), (e) => e.kind === 'encode');
  assert.deepEqual(testkit.http.requests(), []);
  assert.equal(http.delete(URL_).method, 'DELETE');
  assert.throws(() => http.request('BREW', URL_), /the client sends GET, HEAD, POST, PUT, PATCH, DELETE, not BREW/);
  const b = http.request('PUT', URL_).connectTimeout(5).firstByteTimeout(6).betweenBytesTimeout(7);
  assert.deepEqual(b.timeouts, { connectMs: 5, firstByteMs: 6, betweenBytesMs: 7 });
  assert.throws(() => http.get(URL_).timeout(-1), RangeError);
});

test('URLs split as wasi:http wants them, and path segments are escaped', () => {
  const u = http.Url.parse('http://127.0.0.1:8090/household/v1/persons/1?x=1');
  assert.equal(u.https, false);
  assert.equal(u.authority, '127.0.0.1:8090');
  assert.equal(u.pathAndQuery, '/household/v1/persons/1?x=1');
  assert.equal(String(u), 'http://127.0.0.1:8090/household/v1/persons/1?x=1');
  const bare = http.Url.parse('HTTPS://tax.test');
  assert.ok(bare.https);
  assert.equal(bare.pathAndQuery, '/');
  assert.equal(http.Url.parse('https://h?q=1').pathAndQuery, '/?q=1');
  for (const bad of ['ftp://h/', 'http:///x', 'http://u:p@h/', 'http://h/#f', 'http://h/a b', '/persons/1']) {
    assert.throws(() => http.Url.parse(bad), Error, bad);
  }
  assert.equal(http.pathSegment('厦门 A/B'), '%E5%8E%A6%E9%97%A8%20A%2FB');
  assert.equal(http.pathSegment('350206198811230519'), '350206198811230519');
  assert.equal(http.pathSegment('a-b.c_d~'), 'a-b.c_d~');
  assert.equal(http.pathSegment('?#%'), '%3F%23%25');
});

test('problem details name their code', () => {
  const p = http.ProblemDetails.parse(
    '{"type":"urn:onething:systems:name-taken","title":"name-taken","status":409,"detail":"reserved","holder":"app-1"}',
  );
  assert.equal(p.code, 'name-taken');
  assert.equal(p.text('holder'), 'app-1');
  assert.equal(p.summary(), 'name-taken: reserved');
  const typed = http.ProblemDetails.parse('{"type":"https://x.test/probs/out-of-credit","title":"You do not have enough credit."}');
  assert.equal(typed.code, 'out-of-credit');
  assert.equal(typed.summary(), 'out-of-credit');
  assert.equal(http.ProblemDetails.parse('[1]'), undefined);
  assert.equal(http.ProblemDetails.parse('<html>'), undefined);
  assert.equal(http.ProblemDetails.parse('{}').code, '');
  assert.equal(http.ProblemDetails.parse('{}').text('constructor'), undefined);
});

test('an unexpected request fails the call and verify, listing what was expected', () => {
  testkit.http.expect('POST', URL_);
  assert.throws(
    () => http.get('http://sys.test/other').send(),
    /unexpected request GET http:\/\/sys\.test\/other; expected \(not yet made\): POST http:\/\/sys\.test\/tax\/v1\/registrations/,
  );
  assert.throws(
    () => testkit.http.verify(),
    /expected requests were not made:\n {2}- POST http:\/\/sys\.test\/tax\/v1\/registrations\nunexpected requests were made:\n {2}- GET http:\/\/sys\.test\/other/,
  );
  assert.deepEqual(testkit.http.pending(), [`POST ${URL_}`]);
  assert.throws(() => testkit.http.expect('GET', URL_).fail('gone'), /a mock fails with one of/);
});
