// Outcomes, problems and what crosses to the host: approvals, the problems
// collector, rejections and deferrals, step errors, and the normalisation
// the component and the test kit both apply (wire.js), which refuses a
// malformed answer naming where it is.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  Approval,
  Manifest,
  Outcome,
  Problem,
  Problems,
  StepError,
  StepSpec,
  StoreError,
  Text,
  approve,
  defer,
  needsMore,
  reject,
  stepping,
  toStepError,
} from '../src/index.js';
import { HttpError } from '../src/http/index.js';
import * as wire from '../src/wire.js';

test('builds approvals', () => {
  const a = approve()
    .field('child.hukou_number', 'H1')
    .field('child.hukou_number', 'H2')
    .field('tax.invoice_quota', 25)
    .document('hukou', 'H2', '户口登记', 'Household registration')
    .note('好', 'ok');
  assert.ok(a instanceof Approval);
  assert.equal(a.fields.length, 2);
  assert.equal(a.text('child.hukou_number'), 'H2');
  assert.deepEqual(a.get('tax.invoice_quota'), { tag: 'integer', val: 25n });
  const o = a.toOutcome();
  assert.ok(Outcome.isApproved(o));
  assert.deepEqual(Outcome.approval(o).note, { zh: '好', en: 'ok' });
  assert.equal(Outcome.text(o, 'child.hukou_number'), 'H2');
  assert.equal(Outcome.documents(o)[0].title.en, 'Household registration');
  assert.deepEqual(Outcome.problems(o), []);
  assert.equal(approve().noteText(Text.join([{ zh: '甲', en: 'A' }])).toWire().note.en, 'A');
  assert.equal(approve().toWire().note, undefined);
  assert.equal(Outcome.rejection(reject('不', 'no')).en, 'no');
  assert.equal(Outcome.ticket(defer('T1', '线下', 'offline')).id, 'T1');
  assert.equal(Outcome.approval(needsMore([])), undefined);
});

test('collects problems once each', () => {
  const p = new Problems();
  p.field('child.name', 'missing', '甲', 'a').field('child.name', 'missing', '再', 'again');
  p.material('premises-proof', 'missing', '材', 'm').general('g', '总', 'm');
  assert.equal(p.take({ ok: true, value: 3 }), 3);
  assert.equal(p.take({ ok: false, problem: Problem.field('mother.name', 'missing', '母', 'm') }), undefined);
  assert.equal(p.length, 4);
  assert.ok(p.hasField('mother.name') && !p.hasField('father.name'));
  assert.ok(!p.isEmpty());
  const o = p.intoOutcome(() => {
    throw new Error('not called');
  });
  assert.ok(Outcome.hasFieldProblem(o, 'child.name', 'missing'));
  assert.equal([...p].length, 4);
  assert.equal(p.toArray().length, 4);
  assert.ok(Outcome.isApproved(new Problems().intoOutcome(() => approve())));
  assert.throws(
    () => new Problems().intoOutcome(() => {
      throw StepError.transient('down');
    }),
    (e) => e.isTransient,
  );
});

test('problems and step errors', () => {
  assert.equal(Problem.unknownStep('s').message.en, 'This department does not handle step s');
  assert.equal(Problem.unknownStep('s').message.zh, '本部门不办理事项 s');
  assert.equal(Problem.fieldKey(Problem.general('x', '总', 'm')), undefined);
  assert.ok(StepError.transient('down').isTransient);
  assert.ok(!StepError.unknownStep('x').isTransient);
  assert.equal(StepError.unknownStep('x').message, 'unknown step x');
  assert.deepEqual(StepError.permanent('p').payload, { tag: 'permanent', val: 'p' });
  assert.deepEqual(StepError.transient('t').toWire(), { tag: 'transient', val: 't' });
  assert.throws(() => new StepError('maybe', 'x'), TypeError);
  assert.equal(toStepError(new StoreError('unavailable', 'down')).message, 'store unavailable: down');
  assert.ok(toStepError(new StoreError('unavailable', 'down')).isTransient);
  assert.equal(toStepError(new StoreError('too-large', 'big')).message, 'store refused a value: big');
  assert.ok(toStepError(new HttpError('status', 'x', { status: 503 })).isTransient);
  assert.ok(!toStepError(new HttpError('status', 'x', { status: 404 })).isTransient);
  assert.equal(toStepError(new TypeError('bug')), undefined);
  assert.throws(() => stepping(() => { throw new StoreError('unavailable', 'x'); }), StepError);
});

test('what crosses to the host is normalised, or refused naming where', () => {
  const manifest = new Manifest('health', '卫健委', 'Health Commission', '1.0.0').step(
    new StepSpec('birth-certificate', '出生医学证明', 'Birth certificate')
      .reads('child.name', '核对', 'To check')
      .readsOptional('father.name', 'p', 'p')
      .writes('child.birth_certificate_number')
      .material('birth-record', 'p', 'p')
      .materialOptional('x-y', '核对', 'To check')
      .timeLimitMinutes(90),
  );
  const m = wire.manifest(manifest);
  assert.equal(m.steps[0].timeLimitMinutes, 90);
  assert.deepEqual(m.steps[0].reads.map((r) => r.required), [true, false]);
  assert.deepEqual(m.steps[0].materials.map((r) => r.required), [true, false]);
  assert.ok(manifest.findStep('birth-certificate') && !manifest.findStep('nope'));
  assert.equal(new StepSpec('a', 'b', 'B').toWire().timeLimitMinutes, 24 * 60);
  assert.equal(new StepSpec('a', 'b', 'B').timeLimitHours(2 ** 32).toWire().timeLimitMinutes, 2 ** 32 - 1);
  assert.ok(new StepSpec('a', 'b', 'B').reads('k.k', 'p', 'p').readsKey('k.k'));
  assert.throws(() => new StepSpec('a', 'b', 'B').timeLimitMinutes(-1), RangeError);

  const o = wire.outcome(approve().field('tax.invoice_quota', 25));
  assert.deepEqual(o, {
    tag: 'approved',
    val: { fields: [{ key: 'tax.invoice_quota', value: { tag: 'integer', val: 25n } }], documents: [], note: undefined },
  });
  assert.deepEqual(wire.outcome({ tag: 'approved', val: { fields: [{ key: 'a.b', value: { tag: 'money', val: 5 } }] } }).val.fields[0].value, {
    tag: 'money',
    val: 5n,
  });
  assert.throws(() => wire.outcome(undefined, 'handle(request)'), /handle\(request\): handle must return an outcome/);
  assert.throws(() => wire.outcome({ tag: 'done' }), /no outcome case "done"/);
  assert.throws(() => wire.outcome({ tag: 'rejected', val: { zh: '不' } }), /outcome\.rejected\.en: expected a string/);
  assert.throws(() => wire.problems([{ subject: { tag: 'field' }, code: 'x', message: { zh: 'a', en: 'b' } }]), /problems\[0\]\.subject\.val/);
  assert.throws(() => wire.fields([{ key: 'a.b', value: 2 ** 60 }]), /fields\[0\] a\.b/);
  assert.deepEqual(wire.problems(new Problems().general('g', '总', 'all')), [
    { subject: { tag: 'general' }, code: 'g', message: { zh: '总', en: 'all' } },
  ]);
  assert.throws(() => wire.manifest(undefined), /describe\(\): must return a Manifest/);
  assert.throws(
    () => wire.outcome(Promise.resolve(approve()), 'handle(request)'),
    /handle\(request\): returned a Promise: the component's exports are synchronous/,
  );
  assert.throws(() => wire.problems(Promise.resolve([]), 'check(draft)'), /check\(draft\): returned a Promise/);
});
