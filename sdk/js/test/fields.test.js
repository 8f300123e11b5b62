// Typed field access by dictionary key: the Rust SDK's fields tests, in
// JavaScript. Integers come back as BigInt, money as Money, problems with
// the Rust codes and messages.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Fields, Materials, Money, Problem, Value, field } from '../src/index.js';

const problem = (checked) => (checked.ok ? undefined : checked.problem);

test('typed access', () => {
  const d = { year: 2026, month: 10, day: 20 };
  const f = new Fields([
    field('child.name', ' 林安然 '),
    field('child.birth_date', d),
    field('mother.insured', true),
    field('enterprise.employee_count', 12),
    field('enterprise.registered_capital', 50.5),
    field('blank.text', '  '),
  ]);
  assert.equal(f.text('child.name'), '林安然');
  assert.deepEqual(f.date('child.birth_date'), d);
  assert.equal(f.boolean('mother.insured'), true);
  assert.equal(f.integer('enterprise.employee_count'), 12n);
  assert.equal(f.decimal('enterprise.employee_count'), 12);
  assert.equal(f.decimal('enterprise.registered_capital'), 50.5);
  assert.equal(f.text('blank.text'), undefined);
  assert.equal(f.text('child.birth_date'), undefined);
  assert.equal(f.length, 6);
  assert.ok(f.has('blank.text'));
  assert.equal(f.keys()[0], 'child.name');
  assert.equal(f.isDraft, false);
});

test('money and lists', () => {
  const f = new Fields([
    field('fee', Value.money(1234567)),
    field('children', Value.items(['350206202610200021 ', 'B'])),
    field('fees', [Money.fromFen(1), Money.fromFen(2)]),
    field('mixed', ['a', 1]),
    field('empty', []),
  ]);
  assert.equal(f.money('fee').toString(), '12345.67');
  assert.equal(f.requireMoney('fee').value.fen, 1234567n);
  assert.deepEqual(f.texts('children'), ['350206202610200021', 'B']);
  assert.equal(f.monies('fees').length, 2);
  assert.equal(f.texts('mixed'), undefined);
  assert.equal(f.items('mixed').length, 2);
  assert.deepEqual(f.requireItems('empty').value, []);
  assert.deepEqual(f.requireTexts('empty').value, []);
  assert.equal(problem(f.requireTexts('mixed')).code, 'wrong-type');
  assert.equal(problem(f.requireMoney('children')).message.en, 'children should be of type money, not items');
  assert.equal(problem(f.requireMoney('children')).message.zh, 'children 应为 money 类型，收到 items');
  assert.equal(f.money('children'), undefined);
  assert.equal(problem(f.requireItems('nothing')).code, 'missing');
});

test('required fields: missing, blank or of another type', () => {
  const f = new Fields([field('child.name', ' '), field('child.birth_date', 'yesterday'), field('a.b', Value.decimal(Number.NaN))]);
  const missing = problem(f.requireText('child.name'));
  assert.equal(missing.code, 'missing');
  assert.deepEqual(missing.message, { zh: '请填写 child.name', en: 'Please fill in child.name: it is required' });
  assert.equal(Problem.fieldKey(missing), 'child.name');
  assert.equal(problem(f.requireDate('child.birth_date')).code, 'wrong-type');
  assert.equal(problem(f.requireDecimal('x.y')).code, 'missing');
  assert.equal(f.decimal('a.b'), undefined, 'NaN is no decimal');
  assert.equal(problem(f.requireBoolean('x.y')).code, 'missing');
  assert.equal(problem(f.requireInteger('child.birth_date')).code, 'wrong-type');
});

test('coded identifiers get their codes', () => {
  const f = new Fields([
    field('mother.id_number', '11010519491231002X'),
    field('father.id_number', '110105194912310021'),
    field('enterprise.uscc', '9144030071526726XG'),
    field('bad.uscc', '9144030071526726XH'),
    field('lower.id_number', '11010519491231002x'),
    field('old.id_number', '110105189912310023'),
    field('lower.uscc', '9144030071526726xg'),
    field('good.card', '4111111111111111'),
    field('bad.card', '4111111111111112'),
    field('short.card', '41111'),
  ]);
  assert.ok(f.requireResidentId('mother.id_number').ok);
  const lower = problem(f.requireResidentId('lower.id_number'));
  assert.equal(lower.code, 'bad-characters');
  assert.equal(Problem.fieldKey(lower), 'lower.id_number');
  assert.ok(lower.message.en.includes('capital X'));
  assert.ok(lower.message.en.startsWith('The resident ID number is not valid: '));
  assert.ok(lower.message.en.endsWith(' (lower.id_number)'));
  assert.ok(lower.message.zh.startsWith('公民身份号码有误：'));
  assert.equal(problem(f.requireResidentId('old.id_number')).code, 'bad-birth-date');
  assert.equal(problem(f.requireUscc('lower.uscc')).code, 'bad-characters');
  assert.equal(f.requireBankCard('good.card').value, '4111111111111111');
  assert.equal(problem(f.requireBankCard('bad.card')).code, 'bad-check-digit');
  assert.equal(problem(f.requireBankCard('short.card')).code, 'bad-card-number');
  assert.equal(problem(f.requireBankCard('x.y')).code, 'missing');
  assert.equal(problem(f.residentId('father.id_number')).code, 'bad-check-digit');
  assert.equal(f.residentId('x.y'), undefined);
  assert.equal(problem(f.requireResidentId('x.y')).code, 'missing');
  assert.equal(f.requireUscc('enterprise.uscc').value, '9144030071526726XG');
  assert.equal(problem(f.requireUscc('bad.uscc')).code, 'bad-check-digit');
});

test('issued fields may be absent only in a draft', () => {
  const list = [field('child.id_number', '11010519491231002X')];
  const draft = Fields.ofDraft({ fields: list });
  assert.ok(draft.isDraft);
  assert.deepEqual(draft.issuedText('child.hukou_number'), { ok: true, value: undefined });
  assert.equal(draft.issuedResidentId('child.id_number').value.number, '11010519491231002X');
  assert.deepEqual(draft.issuedUscc('enterprise.uscc'), { ok: true, value: undefined });
  const full = Fields.of({ fields: list });
  assert.equal(problem(full.issuedText('child.hukou_number')).code, 'missing');
  assert.equal(problem(full.issuedUscc('child.id_number')).code, 'bad-region');
});

test('materials by code', () => {
  const m = Materials.of({
    materials: [{ code: 'marriage-certificate', digest: `sha256:${'0'.repeat(64)}`, mediaType: 'application/pdf', size: 10n }],
  });
  assert.ok(m.has('marriage-certificate'));
  assert.ok(m.require('marriage-certificate').ok);
  const p = problem(m.require('premises-proof'));
  assert.equal(Problem.materialCode(p), 'premises-proof');
  assert.equal(p.code, 'missing');
  assert.equal(p.message.en, 'Please supply the material premises-proof: it is required');
});
