// Identifier rules beyond the shared vectors: what a parsed number encodes,
// building numbers and codes, the messages (the host's words), and the
// order of checks.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { ids, dates } from '../src/index.js';

const code = (validate, text) => ids.tryValidate(validate, text)?.code;
const parseCode = (text) => code((t) => ids.ResidentId.parse(t), text);

test('the published resident ID example (GB 11643-1999)', () => {
  assert.equal(ids.residentIdCheckChar('11010519491231002'), 'X');
  const id = ids.ResidentId.parse('11010519491231002X');
  assert.equal(id.number, '11010519491231002X');
  assert.equal(String(id), '11010519491231002X');
  assert.equal(id.region, '110105');
  assert.deepEqual(id.birthDate, { year: 1949, month: 12, day: 31 });
  assert.equal(id.sequence, 2);
  assert.equal(id.sex, ids.Sex.FEMALE);
  assert.ok(Object.isFrozen(id));
});

test('resident ID faults, each with its code and message', () => {
  assert.equal(parseCode('1101051949123100'), 'bad-length');
  assert.equal(parseCode('11010519491231002Y'), 'bad-characters');
  const lower = ids.tryValidate(ids.validateResidentId, '11010519491231002x');
  assert.equal(lower.code, ids.codes.BAD_CHARACTERS);
  assert.match(lower.message, /capital X/);
  assert.match(lower.messageZh, /大写 X/);
  assert.equal(parseCode(' 11010519491231002X'), 'bad-length', 'nothing is trimmed');
  assert.equal(parseCode('99010519491231002X'), 'bad-region');
  assert.equal(parseCode('110105194902300021'), 'bad-birth-date');
  assert.equal(parseCode('110105189912310023'), 'bad-birth-date');
  const bad = ids.tryValidate(ids.validateResidentId, '110105194912310021');
  assert.equal(bad.code, 'bad-check-digit');
  assert.equal(bad.message, 'the check digit is 1, but for these first 17 digits it must be X (GB 11643-1999)');
  assert.equal(bad.messageZh, '校验码为 1，但按前 17 位应为 X（GB 11643-1999）');
  assert.deepEqual(bad.text(), { zh: bad.messageZh, en: bad.message });
  assert.equal(parseCode('身份证号码身份证'), 'bad-length', 'length counts characters');
  assert.match(ids.tryValidate(ids.validateResidentId, '110105491231002').message, /has 15 \(a first-generation/);
  assert.equal(
    ids.tryValidate(ids.validateResidentId, '1101051949123100AX').message,
    "the first 17 characters of a resident ID number must be digits; character 17 is 'A'",
  );
});

test('the first failing check wins', () => {
  assert.equal(parseCode('990105194902300021'), 'bad-region');
  assert.equal(parseCode('110105194902300029'), 'bad-birth-date');
});

test('building resident IDs', () => {
  const birth = { year: 2026, month: 10, day: 20 };
  for (const seq of [0, 1, 2, 457, 999]) {
    const id = ids.ResidentId.build('350203', birth, seq);
    const parsed = ids.ResidentId.parse(id.number);
    assert.equal(parsed.number, id.number);
    assert.deepEqual(parsed.birthDate, birth);
    assert.equal(parsed.sequence, seq);
    assert.equal(parsed.sex, seq % 2 === 1 ? 'male' : 'female');
  }
  const err = (f) => {
    try {
      f();
    } catch (e) {
      return e.code;
    }
    return undefined;
  };
  assert.equal(err(() => ids.ResidentId.build('000000', birth, 1)), 'bad-region');
  assert.equal(err(() => ids.ResidentId.build('100000', birth, 1)), 'bad-region');
  assert.equal(err(() => ids.ResidentId.build('350203', birth, 1000)), 'bad-length');
  assert.equal(err(() => ids.ResidentId.build('350203', { year: 1899, month: 12, day: 31 }, 1)), 'bad-birth-date');
  assert.equal(err(() => ids.ResidentId.build('350203', { year: 2026, month: 2, day: 30 }, 1)), 'bad-birth-date');
  assert.equal(ids.Sex.ofSequence(3), 'male');
});

test('credit codes, known and built', () => {
  assert.equal(code(ids.validateUscc, '9144030071526726XG'), undefined, 'a published code');
  assert.equal(code(ids.validateUscc, '9144030071526726XH'), 'bad-check-digit');
  assert.equal(code(ids.validateUscc, '9144030071526726X'), 'bad-length');
  assert.equal(code(ids.validateUscc, '9144030071526726IG'), 'bad-characters');
  const lower = ids.tryValidate(ids.validateUscc, '9144030071526726xg');
  assert.equal(lower.code, 'bad-characters');
  assert.match(lower.message, /write letters as capitals$/);
  assert.equal(code(ids.validateUscc, '9199030071526726XN'), 'bad-region');
  assert.equal(ids.orgCodeCheckChar('71526726'), 'X');
  assert.equal(code(ids.validateOrgCode, '71526726X'), undefined);
  assert.equal(ids.usccCheckChar('9144030071526726X'), 'G');
  const built = ids.buildUscc('9', '1', '350200', '12345678');
  assert.equal(code(ids.validateUscc, built), undefined);
  assert.equal(built.slice(0, 8), '91350200');
  assert.equal(ids.buildUscc('9', '1', '100000', 'MA001234'), '91100000MA001234XJ');
  const err = (f) => {
    try {
      f();
    } catch (e) {
      return e.code;
    }
    return undefined;
  };
  assert.equal(err(() => ids.buildUscc('9', '1', '990000', '12345678')), 'bad-region');
  assert.equal(err(() => ids.buildUscc('9', '1', '350200', '1234567I')), 'bad-characters');
  assert.equal(err(() => ids.buildUscc('9', '1', '350200', '1234567')), 'bad-length');
  assert.equal(err(() => ids.buildUscc('I', '1', '350200', '12345678')), 'bad-characters');
});

test('organisation codes', () => {
  assert.equal(code(ids.validateOrgCode, 'D2143569X'), undefined);
  assert.equal(code(ids.validateOrgCode, '192203821'), undefined);
  assert.equal(code(ids.validateOrgCode, 'D2143569-X'), 'bad-length');
  assert.equal(code(ids.validateOrgCode, 'd2143569X'), 'bad-characters');
  assert.equal(code(ids.validateOrgCode, 'D2143569x'), 'bad-characters');
  assert.equal(
    ids.tryValidate(ids.validateOrgCode, 'D21435690').message,
    'the check character is 0, but for these first 8 characters it must be X (GB 11714-1997)',
  );
});

test('cards, phones and postcodes', () => {
  assert.equal(code(ids.validateBankCard, '4111111111111111'), undefined);
  assert.equal(code(ids.validateBankCard, '4111111111111112'), 'bad-check-digit');
  assert.match(
    ids.tryValidate(ids.validateBankCard, '4111111111111112').message,
    /last digit is 2, but for the digits before it it must be 1/,
  );
  assert.equal(code(ids.validateBankCard, '41111'), 'bad-card-number');
  assert.equal(code(ids.validateBankCard, '4111 1111 1111 1111'), 'bad-card-number');
  assert.equal(ids.luhnCheckDigit('7992739871'), '3');
  assert.equal(ids.luhnCheckDigit(''), undefined);
  assert.ok(ids.luhnValid('79927398713') && !ids.luhnValid('79927398710'));
  assert.equal(code(ids.validateMobilePhone, '13800138000'), undefined);
  assert.equal(code(ids.validateMobilePhone, '12800138000'), 'bad-phone');
  assert.match(ids.tryValidate(ids.validateMobilePhone, '12800138000').message, /starts with 12$/);
  assert.equal(code(ids.validateMobilePhone, '１3800138000'), 'bad-phone');
  assert.equal(code(ids.validatePostalCode, '361000'), undefined);
  assert.equal(code(ids.validatePostalCode, '36100'), 'bad-postal-code');
  assert.equal(code(ids.validatePostalCode, '３61000'), 'bad-postal-code');
});

test('tryValidate passes on anything but an IdError', () => {
  assert.throws(() => ids.tryValidate(() => { throw new RangeError('not mine'); }, 'x'), RangeError);
  assert.equal(dates.format(ids.ResidentId.parse('350206202610200021').birthDate), '2026-10-20');
});
