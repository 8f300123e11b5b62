// The test kit itself: requests built like the Rust test kit's, a
// department called as the host calls it (only declared fields in, an
// undeclared write failing the test, failures as step errors), the
// manifest lint in the Rust test kit's words, and the check against the
// data dictionary with the host's "did you mean".

import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';

import * as testkit from '../src/testkit/index.js';
import { Manifest, Problem, StepError, StepSpec, approve, Fields, store } from '../src/index.js';

beforeEach(() => testkit.reset());

test('builds requests', () => {
  const r = testkit
    .request('s')
    .field('a.b', '1')
    .field('a.b', '2')
    .field('c.d', 3)
    .without('c.d')
    .material('m-1')
    .material('m-1')
    .application('app-9')
    .attempt(3);
  assert.equal(r.fields().length, 1);
  assert.equal(r.materials().length, 1);
  const req = r.build();
  assert.equal(req.idempotencyKey, 'app-9/s');
  assert.equal(req.attempt, 3);
  assert.equal(req.materials[0].digest.length, 71);
  assert.match(req.materials[0].digest, /^sha256:[0-7a]{64}$/);
  assert.equal(req.materials[0].size, 1024n);
  assert.equal(Fields.of(req).text('a.b'), '2');
  assert.equal(testkit.request('s').build().idempotencyKey, 'app-test/s');
  assert.equal(testkit.request('s').build().application, 'app-test');
  assert.equal(testkit.request('s').idempotencyKey('k').build().idempotencyKey, 'k');
  const b = testkit.request('s').field('a.b', '1').application('app-3');
  assert.equal(b.draft().application, 'app-3');
  assert.equal(b.form().application, undefined);
  assert.equal(b.form().fields.length, 1);
});

const Demo = {
  describe() {
    return new Manifest('demo', '示例', 'Demo', '0.1.0')
      .step(new StepSpec('ok', '好', 'Good').reads('a.b', 'p', 'p').writes('x.y').material('m-1', 'p', 'p'))
      .step(new StepSpec('bad', '坏', 'Bad').reads('a.b', 'p', 'p'))
      .step(new StepSpec('store', '存', 'Store').reads('a.b', 'p', 'p'))
      .step(new StepSpec('bug', '错', 'Bug'));
  },
  check(draft) {
    const seen = draft.fields.map((f) => Problem.field(f.key, 'seen', '见', 'seen'));
    if (draft.application) seen.push(Problem.general('application', draft.application, draft.application));
    return seen;
  },
  prefill(draft) {
    return draft.fields;
  },
  handle(r) {
    if (r.step === 'store') store.get('k');
    if (r.step === 'bug') return 42;
    const seen = `${r.fields.map((f) => f.key).join(',')}|${r.materials.map((m) => m.code).join(',')}`;
    return approve().field('x.y', seen);
  },
};

test('runs a department like the host', () => {
  const r = testkit.request('ok').field('a.b', '1').field('secret.value', '2').material('m-1').material('m-2');
  const out = testkit.handle(Demo, r);
  assert.equal(out.val.fields[0].value.val, 'a.b|m-1', 'only declared fields and materials go in');
  const problems = testkit.check(Demo, r);
  assert.equal(problems.length, 2);
  assert.equal(problems[1].message.en, 'app-test');
  assert.equal(testkit.checkDraft(Demo, r.form()).length, 1);
  assert.equal(testkit.check(Demo, r.form()).length, 1, 'check takes a draft too');
  assert.equal(testkit.check(Demo, r.draft()).length, 2);
  assert.equal(testkit.prefill(Demo, r).length, 1);
  assert.deepEqual(testkit.manifestFaults(Demo.describe()), []);
});

test('an undeclared write, a store failure and a bug', () => {
  assert.throws(() => testkit.handle(Demo, testkit.request('bad').field('a.b', '1')), /step bad wrote undeclared fields: \["x\.y"\]/);
  testkit.failStore('unavailable', 'down');
  assert.throws(
    () => testkit.handle(Demo, testkit.request('store')),
    (e) => e instanceof StepError && e.isTransient && e.message === 'store unavailable: down',
  );
  assert.throws(() => testkit.handle(Demo, testkit.request('bug')), /handle must return an outcome/);
  assert.throws(() => testkit.handle({ describe() {} }, testkit.request('x')), /this one lacks check, prefill, handle/);
  assert.deepEqual(testkit.undeclaredWrites(Demo.describe(), 'bad', approve().field('x.y', 'v')), ['x.y']);
  assert.deepEqual(testkit.undeclaredWrites(Demo.describe(), 'ok', approve().field('x.y', 'v')), []);
});

test('lints manifests in the Rust test kit\'s words', () => {
  const m = new Manifest('Bad_Dept', ' ', ' ', '1.0')
    .step(new StepSpec('s', 't', 'T').reads('nodot', '', '').reads('nodot', 'p', 'p').writes('a.b').writes('a.b'))
    .step(new StepSpec('s', '', '').material('Bad', '', '').timeLimitMinutes(0));
  const faults = testkit.manifestFaults(m);
  assert.equal(faults.length, 13, faults.join('\n'));
  assert.ok(faults.includes('department name has no Chinese and English'));
  const noEnglish = new Manifest('d', '名', '', '1.0.0').step(
    new StepSpec('s', '事项', '').reads('a.b', '用途', ' ').material('m', '', 'Purpose'),
  );
  assert.deepEqual(testkit.manifestFaults(noEnglish), [
    'department name has no English',
    'step s: title has no English',
    'step s: reads a.b without a purpose in English',
    'step s: material m without a purpose in Chinese',
  ]);
  assert.ok(testkit.manifestFaults(new Manifest('d', 'n', 'N', '1.0.0')).includes('no steps'));
  const longId = 'a'.repeat(65);
  const longKey = `a.${'b'.repeat(127)}`;
  const long = new Manifest('d'.repeat(64), 'n', 'N', '1.0.0-rc.1').step(
    new StepSpec(longId, 't', 'T').reads(longKey, 'p', 'p').material('m'.repeat(64), 'p', 'p'),
  );
  assert.deepEqual(testkit.manifestFaults(long), [
    `step id "${longId}" is not kebab-case`,
    `step ${longId}: reads "${longKey}", not a dictionary key`,
  ]);
});

test('ids, keys and versions as the host checks them', () => {
  for (const ok of ['health', 'public-security', 'a', 'step-2', 'a'.repeat(64)]) assert.ok(testkit.isKebab(ok), ok);
  for (const bad of ['', '-a', 'a-', 'a--b', 'Health', 'a_b', 'a.b', '出生', 'a'.repeat(65)]) assert.ok(!testkit.isKebab(bad), bad);
  for (const ok of ['child.name', 'mother.id_number', 'a.b.c', 'x1.y_2']) assert.ok(testkit.isKey(ok), ok);
  for (const bad of ['nodot', 'a.', '.a', 'a..b', 'A.b', 'a-b.c', 'a.b ']) assert.ok(!testkit.isKey(bad), bad);
  for (const ok of ['0.1.0', '10.20.30', '1.0.0-rc.1', '1.0.0-alpha-1', '1.0.0+build.5', '1.0.0-0.3.7+exp.sha.5114f85']) {
    assert.ok(testkit.isSemver(ok), ok);
  }
  for (const bad of ['1.0', '1.0.0.0', 'v1.0.0', '01.0.0', '1.00.0', '1.0.0-', '1.0.0+', '1.0.0-rc..1', '1.0.0-01', '1.0.0-rc 1', '']) {
    assert.ok(!testkit.isSemver(bad), bad);
  }
});

test('checks a manifest against the dictionary, naming the nearest key', () => {
  const m = new Manifest('health', '卫健委', 'Health Commission', '1.0.0').step(
    new StepSpec('birth-certificate', '出生医学证明', 'Birth certificate')
      .reads('child.nmae', '核对姓名', 'To check the name')
      .reads('mother.id_number', '核对母亲身份', 'To check the mother')
      .writes('child.birth_certificate_numbr')
      .material('marriage-certificat', '核对婚姻关系', 'To check the marriage'),
  );
  assert.deepEqual(testkit.manifestFaults(m), [], 'the shape alone is sound');
  assert.deepEqual(testkit.manifestFaultsAgainst(m, testkit.dictionary()), [
    'step birth-certificate: reads child.nmae, which is not in the data dictionary (did you mean `child.name`?)',
    'step birth-certificate: writes child.birth_certificate_numbr, which is not in the data dictionary (did you mean `child.birth_certificate_number`?)',
    'step birth-certificate: needs material marriage-certificat, which is not in the data dictionary (did you mean `marriage-certificate`?)',
  ]);
  assert.throws(() => testkit.assertManifestSound(m), /the host would refuse department health's manifest:\n {2}- step birth-certificate: reads child\.nmae/);
  testkit.assertManifestSound(
    new Manifest('health', '卫健委', 'Health Commission', '1.0.0').step(
      new StepSpec('birth-certificate', '出生医学证明', 'Birth certificate').reads('child.name', '核对姓名', 'To check the name'),
    ),
  );
  const inline = testkit.dictionaryFromToml(`
version = "1"
[fields."child.name"]
type = "text"
label = { zh = "姓名", en = "Name" }
sensitivity = "personal"
`);
  assert.deepEqual(inline.fields, ['child.name']);
  assert.equal(testkit.didYouMean('enterprise.uscc', ['child.name']), '', 'an unrelated key gets no suggestion');
  assert.throws(() => testkit.dictionaryFrom('/nonexistent/dictionary.toml'), /cannot read the dictionary \/nonexistent\/dictionary\.toml/);
  assert.throws(() => testkit.dictionaryFromToml('version = '), /the dictionary inline dictionary does not parse/);
});
