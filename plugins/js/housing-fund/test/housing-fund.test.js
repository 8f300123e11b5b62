// Unit tests of the housing fund department on the SDK's test kit, under
// plain Node: the same tests as the Rust department's (manifest sound
// against the dictionary; the account the system numbers; an employer with
// an account keeps it; a failing system is transient and a missing base_url
// permanent; no employees, no account), plus what the port must keep equal.

import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import * as testkit from '@onething/sdk/testkit';
import { Outcome, StepError } from '@onething/sdk';
import { HousingFund, BASE_URL, STEP, VERSION } from '../src/housing-fund.js';
import { handler } from '../src/component.js';

const ACCOUNTS = 'http://systems.test/housing-fund/v1/employer-accounts';

function valid() {
  // A trailing slash is tolerated.
  testkit.config(BASE_URL, 'http://systems.test/housing-fund/v1/');
  return testkit
    .request(STEP)
    .field('enterprise.uscc', '91350206MA2Y3K5P9T')
    .field('enterprise.name', '厦门鹭岛茶业有限公司')
    .field('enterprise.employee_count', 8);
}

const account = (outcome) => Outcome.text(outcome, 'housing_fund.employer_account_number');

beforeEach(() => testkit.reset());
afterEach(() => testkit.http.verify());

test('the manifest is sound against the dictionary', () => {
  testkit.assertManifestSound(HousingFund.describe());
  const manifest = HousingFund.describe();
  assert.equal(manifest.department, 'housing-fund');
  assert.equal(manifest.steps[0].timeLimitMinutes, 8 * 60);
  assert.deepEqual(manifest.steps[0].writes, ['housing_fund.employer_account_number']);
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  assert.equal(VERSION, pkg.version, 'the manifest version is the package version');
});

test('opens the account the system numbers', () => {
  testkit.http.expect('POST', ACCOUNTS).json(201, { account_number: 'HF000000000001' });
  const first = testkit.handle(HousingFund, valid());
  assert.equal(account(first), 'HF000000000001');
  const doc = Outcome.documents(first)[0];
  assert.equal(doc.kind, 'housing-fund-registration');
  assert.equal(doc.number, 'HF000000000001');
  assert.ok(Outcome.approval(first).note.en.includes('15th of each month'));
  const sent = testkit.http.requests()[0];
  assert.equal(sent.header('idempotency-key'), 'app-test/employer-account');
  assert.equal(sent.header('content-type'), 'application/json');
  assert.deepEqual(sent.json(), { uscc: '91350206MA2Y3K5P9T', name: '厦门鹭岛茶业有限公司' });
  assert.deepEqual(
    testkit.logs().map((r) => r.message),
    ['employer account opened'],
  );
});

test('an employer with an account keeps it', () => {
  testkit.http.expect('POST', ACCOUNTS).problem(409, 'already-registered').member('number', 'HF000000000009');
  const outcome = testkit.handle(HousingFund, valid().attempt(2));
  assert.equal(account(outcome), 'HF000000000009');
});

test('a system failing is transient and a missing base_url permanent', () => {
  testkit.http.expect('POST', ACCOUNTS).status(502);
  testkit.http.expect('POST', ACCOUNTS).fail('timeout');
  for (let i = 0; i < 2; i++) {
    assert.throws(
      () => testkit.handle(HousingFund, valid()),
      (e) => e instanceof StepError && e.isTransient,
    );
  }
  const request = valid().build();
  testkit.unsetConfig(BASE_URL);
  assert.throws(
    () => testkit.handle(HousingFund, request),
    (e) => e instanceof StepError && !e.isTransient && e.message.includes('`base_url`') && e.message.includes('housing-fund'),
  );
});

test('a 4xx other than already-registered, or an answer without a number, is permanent', () => {
  testkit.http.expect('POST', ACCOUNTS).problem(422, 'not-local');
  testkit.http.expect('POST', ACCOUNTS).json(201, { number: 'HF1' });
  assert.throws(
    () => testkit.handle(HousingFund, valid()),
    (e) => e instanceof StepError && !e.isTransient && e.message.includes('answered 422 not-local'),
  );
  assert.throws(
    () => testkit.handle(HousingFund, valid()),
    (e) => e instanceof StepError && !e.isTransient && e.message.includes('`account_number`'),
  );
});

test('needs employees', () => {
  const outcome = testkit.handle(HousingFund, valid().field('enterprise.employee_count', 0));
  assert.ok(Outcome.hasFieldProblem(outcome, 'enterprise.employee_count', 'no-employees'));
  assert.deepEqual(testkit.http.requests(), []);
  assert.equal(testkit.check(HousingFund, testkit.request('x'))[0].code, 'unknown-step');
  assert.throws(() => HousingFund.handle(testkit.request('x').build()), StepError);
});

test('an enterprise registered elsewhere is sent to its own centre; bad codes get their ID code', () => {
  const elsewhere = testkit.handle(HousingFund, valid().field('enterprise.uscc', '91110108MA01ABCD1E'));
  assert.ok(Outcome.hasFieldProblem(elsewhere, 'enterprise.uscc', 'not-local'));
  const bad = testkit.handle(HousingFund, valid().field('enterprise.uscc', '91350206MA2Y3K5P9X'));
  assert.ok(Outcome.hasFieldProblem(bad, 'enterprise.uscc', 'bad-check-digit'));
});

test('check reports every problem of a draft at once, and a credit code not issued yet is no problem', () => {
  const draft = testkit.request(STEP).field('enterprise.employee_count', 0).form();
  const problems = testkit.checkDraft(HousingFund, draft);
  assert.deepEqual(
    problems.map((p) => `${p.subject.val}: ${p.code}`),
    ['enterprise.name: missing', 'enterprise.employee_count: no-employees'],
  );
  assert.deepEqual(testkit.check(HousingFund, valid()), []);
  assert.deepEqual(testkit.prefill(HousingFund, valid()), []);
});

test('the handler export answers as the component does', () => {
  assert.equal(handler.describe().steps[0].id, STEP);
  testkit.config(BASE_URL, 'http://systems.test/housing-fund/v1');
  testkit.http.expect('POST', ACCOUNTS).status(503);
  assert.throws(
    () => handler.handle(valid().build()),
    (e) => e instanceof StepError && e.payload.tag === 'transient' && e.payload.val.includes('answered 503'),
  );
  assert.deepEqual(handler.check(testkit.request('x').build()).map((p) => p.code), ['unknown-step']);
});
