// The shared test vectors (sdk/vectors/shared.json, written from the Rust
// SDK): every vector in the file, through this SDK's own entry points, must
// get the Rust SDK's answer. Identifier verdicts go through the Fields
// helpers where the Rust test does (sdk/tests/id_vectors.rs) and the
// validate functions; hashing, field helpers, money, dates and problems as
// the file lays them out.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

import { Fields, Money, MoneyError, Problem, ids, hash, dates } from '../src/index.js';

const FILE = process.env.ONETHING_VECTORS ?? join(dirname(fileURLToPath(import.meta.url)), '../../vectors/shared.json');
const KEY = 'vector.value';

/** The vectors, every integer too long for a double kept as a string so it stays exact. */
function load() {
  const raw = readFileSync(FILE, 'utf8');
  const exact = raw.replace(/"(?:[^"\\]|\\.)*"|-?\d{16,}/g, (m) => (m.startsWith('"') ? m : `"${m}"`));
  return JSON.parse(exact);
}

const V = load();

function textField(input) {
  return new Fields([{ key: KEY, value: { tag: 'text', val: input } }]);
}

function problemCode(checked) {
  if (checked.ok) return null;
  assert.equal(Problem.fieldKey(checked.problem), KEY, JSON.stringify(checked.problem));
  return checked.problem.code;
}

function idCode(validate, input) {
  return ids.tryValidate(validate, input)?.code ?? null;
}

/** What the SDK answers for one verdict vector: null if accepted, else the problem code. */
function verdict(v) {
  const f = textField(v.input);
  switch (v.kind) {
    case 'resident-id': {
      const required = f.requireResidentId(KEY);
      if (required.ok) assert.equal(required.value.number, v.input, 'stored as typed');
      const code = problemCode(required);
      const optional = f.residentId(KEY);
      assert.equal(optional === undefined ? 'absent' : problemCode(optional), code, `optional helper, ${v.input}`);
      assert.equal(idCode((t) => ids.ResidentId.parse(t), v.input), code, `ResidentId.parse, ${v.input}`);
      assert.equal(idCode(ids.validateResidentId, v.input), code, `validateResidentId, ${v.input}`);
      return code;
    }
    case 'uscc': {
      const code = problemCode(f.requireUscc(KEY));
      assert.equal(idCode(ids.validateUscc, v.input), code, `validateUscc, ${v.input}`);
      return code;
    }
    case 'bank-card': {
      const code = problemCode(f.requireBankCard(KEY));
      assert.equal(idCode(ids.validateBankCard, v.input), code, `validateBankCard, ${v.input}`);
      return code;
    }
    case 'org-code':
      return idCode(ids.validateOrgCode, v.input);
    case 'mobile-phone':
      return idCode(ids.validateMobilePhone, v.input);
    case 'postal-code':
      return idCode(ids.validatePostalCode, v.input);
    default:
      throw new Error(`a vector of unknown kind ${v.kind}`);
  }
}

test('the file holds every section', () => {
  for (const k of ['ids', 'hash', 'fields', 'money', 'dates', 'problems']) assert.ok(V[k], k);
  assert.ok(V.ids.verdicts.length >= 40);
});

test('ids.verdicts: every identifier gets the Rust verdict and code', () => {
  const failures = [];
  for (const v of V.ids.verdicts) {
    const got = verdict(v);
    if (got !== v.expected) failures.push(`${v.kind} ${JSON.stringify(v.input)}: expected ${v.expected}, got ${got} (${v.about})`);
  }
  assert.deepEqual(failures, []);
});

test('ids.check_chars', () => {
  const fns = { 'resident-id': ids.residentIdCheckChar, uscc: ids.usccCheckChar, 'org-code': ids.orgCodeCheckChar };
  for (const v of V.ids.check_chars) {
    assert.equal(fns[v.kind](v.body) ?? null, v.check, `${v.kind} ${v.body}`);
  }
});

test('ids.resident_ids: what a valid number encodes', () => {
  assert.ok(V.ids.resident_ids.length > 0);
  for (const v of V.ids.resident_ids) {
    const id = ids.ResidentId.parse(v.input);
    assert.equal(id.number, v.input);
    assert.equal(id.region, v.region);
    assert.equal(dates.format(id.birthDate), v.birth_date);
    assert.equal(id.sequence, v.sequence);
    assert.equal(id.sex, v.sex);
  }
});

test('ids.built_resident_ids', () => {
  for (const v of V.ids.built_resident_ids) {
    const birth = dates.parse(v.birth_date);
    let result = null;
    let error = null;
    try {
      result = ids.ResidentId.build(v.region, birth, v.sequence).number;
    } catch (e) {
      error = e.code;
    }
    assert.deepEqual({ result, error }, { result: v.result, error: v.error }, JSON.stringify(v));
  }
});

test('ids.built_usccs', () => {
  for (const v of V.ids.built_usccs) {
    let result = null;
    let error = null;
    try {
      result = ids.buildUscc(v.authority, v.kind, v.region, v.body);
    } catch (e) {
      error = e.code;
    }
    assert.deepEqual({ result, error }, { result: v.result, error: v.error }, JSON.stringify(v));
  }
});

test('hash.stable_u64', () => {
  for (const v of V.hash.stable_u64) assert.equal(hash.stableU64(v.parts).toString(), v.value, JSON.stringify(v.parts));
});

test('hash.digits', () => {
  for (const v of V.hash.digits) assert.equal(hash.digits(v.parts, v.n), v.value, `${JSON.stringify(v.parts)} ${v.n}`);
});

test('hash.below', () => {
  for (const v of V.hash.below) {
    assert.equal(hash.below(v.parts, BigInt(v.bound)).toString(), v.value, `${JSON.stringify(v.parts)} ${v.bound}`);
  }
});

/** A vector value (`{"text": ...}`, `{"money": 1234}`, `{"date": "..."}`, `{"items": [...]}`) as the contract's. */
function valueOf(j) {
  const [tag, val] = Object.entries(j)[0];
  switch (tag) {
    case 'integer':
    case 'money':
      return { tag, val: BigInt(val) };
    case 'date':
      return { tag, val: dates.parse(val) };
    case 'items':
      return { tag, val: val.map(valueOf) };
    default:
      return { tag, val };
  }
}

/** An item as the vectors write it. */
function itemJson(i) {
  switch (i.tag) {
    case 'integer':
    case 'money':
      return { [i.tag]: Number(i.val) };
    case 'date':
      return { date: dates.format(i.val) };
    default:
      return { [i.tag]: i.val };
  }
}

/** Each helper's answer in the vectors' form. */
const HELPERS = {
  require_text: (f) => f.requireText(KEY),
  require_integer: (f) => f.requireInteger(KEY),
  require_money: (f) => f.requireMoney(KEY),
  require_decimal: (f) => f.requireDecimal(KEY),
  require_boolean: (f) => f.requireBoolean(KEY),
  require_date: (f) => f.requireDate(KEY),
  require_items: (f) => f.requireItems(KEY),
  require_texts: (f) => f.requireTexts(KEY),
  require_uscc: (f) => f.requireUscc(KEY),
  require_bank_card: (f) => f.requireBankCard(KEY),
  require_resident_id: (f) => f.requireResidentId(KEY),
  issued_uscc: (f) => f.issuedUscc(KEY),
  issued_text: (f) => f.issuedText(KEY),
};

/** A helper's ok value in the vectors' form. */
function okJson(name, value) {
  if (value === undefined) return null;
  switch (name) {
    case 'require_integer':
      return Number(value);
    case 'require_money':
      return Number(value.fen);
    case 'require_date':
      return dates.format(value);
    case 'require_items':
      return value.map(itemJson);
    case 'require_resident_id':
      return value.number;
    default:
      return value;
  }
}

test('fields: every helper answers as the Rust one', () => {
  assert.ok(V.fields.length > 0);
  let compared = 0;
  for (const v of V.fields) {
    const list = v.value === null ? [] : [{ key: v.key, value: valueOf(v.value) }];
    const f = new Fields(list, { draft: v.draft });
    for (const [name, expected] of Object.entries(v.answers)) {
      const helper = HELPERS[name];
      assert.ok(helper, `no helper for ${name}`);
      const r = helper(f);
      const got = r.ok ? { ok: okJson(name, r.value) } : { problem: problemCode(r) };
      assert.deepEqual(got, expected, `${name} of ${JSON.stringify(v.value)} (draft ${v.draft})`);
      compared++;
    }
  }
  assert.ok(compared >= 13 * 10);
});

test('money.from_yuan', () => {
  for (const v of V.money.from_yuan) {
    if (v.error !== undefined) {
      assert.throws(
        () => Money.fromYuan(v.yuan),
        (e) => e instanceof MoneyError && e.kind === v.error,
        JSON.stringify(v.yuan),
      );
    } else {
      assert.equal(Money.fromYuan(v.yuan).fen, BigInt(v.fen), JSON.stringify(v.yuan));
    }
  }
});

test('money.display', () => {
  for (const v of V.money.display) assert.equal(Money.fromFen(BigInt(v.fen)).toString(), v.text, v.fen);
});

test('dates.add_months, add_days, ages and parse', () => {
  for (const v of V.dates.add_months) {
    assert.equal(dates.format(dates.addMonths(dates.parse(v.date), v.months)), v.result, `${v.date} + ${v.months} months`);
  }
  for (const v of V.dates.add_days) {
    assert.equal(dates.format(dates.addDays(dates.parse(v.date), v.days)), v.result, `${v.date} + ${v.days} days`);
  }
  for (const v of V.dates.ages) {
    const birth = dates.parse(v.birth);
    const on = dates.parse(v.on);
    assert.equal(dates.yearsUntil(birth, on), v.years, `${v.birth} to ${v.on}`);
    assert.equal(dates.daysUntil(birth, on), v.days, `${v.birth} to ${v.on}`);
  }
  for (const v of V.dates.parse) {
    const d = dates.parse(v.text);
    assert.equal(d === undefined ? null : dates.format(d), v.date, JSON.stringify(v.text));
  }
});

test('problems: the identifier codes and unknown-step', () => {
  assert.deepEqual([...ids.codes.ALL], V.problems.id_codes);
  const p = Problem.unknownStep(V.problems.unknown_step.step);
  assert.equal(p.code, V.problems.unknown_step.code);
  assert.equal(p.subject.tag, V.problems.unknown_step.subject);
});
