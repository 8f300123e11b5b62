// Values, money, texts and dates: what an author writes becomes the
// contract's tagged values (integers and money as BigInt), money is exact,
// and the date arithmetic is the Rust SDK's.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Money, MoneyError, Text, Value, dates, field, text, toItem, toValue } from '../src/index.js';
import { encode, decode } from '../src/utf8.js';
import { trim } from '../src/strings.js';

test('what an author writes converts into values', () => {
  assert.deepEqual(toValue('a'), { tag: 'text', val: 'a' });
  assert.deepEqual(toValue(3), { tag: 'integer', val: 3n });
  assert.deepEqual(toValue(3n), { tag: 'integer', val: 3n });
  assert.deepEqual(toValue(1.5), { tag: 'decimal', val: 1.5 });
  assert.deepEqual(toValue(true), { tag: 'boolean', val: true });
  assert.deepEqual(toValue({ year: 2026, month: 1, day: 2 }), { tag: 'date', val: { year: 2026, month: 1, day: 2 } });
  assert.deepEqual(toValue(Money.fromFen(5)), { tag: 'money', val: 5n });
  assert.deepEqual(toValue(['a', 2]), { tag: 'items', val: [{ tag: 'text', val: 'a' }, { tag: 'integer', val: 2n }] });
  assert.deepEqual(toValue({ tag: 'money', val: 7 }), { tag: 'money', val: 7n }, 'a tagged value is normalised');
  assert.deepEqual(Value.decimal(3), { tag: 'decimal', val: 3 }, 'a whole decimal needs Value.decimal');
  assert.deepEqual(Value.money(Money.fromYuan('1.5')), { tag: 'money', val: 150n });
  assert.deepEqual(Value.items(['x']), { tag: 'items', val: [{ tag: 'text', val: 'x' }] });
  assert.deepEqual(field('a.b', 1), { key: 'a.b', value: { tag: 'integer', val: 1n } });
  assert.equal(Value.typeName(toValue(['a'])), 'items');
  assert.equal(Value.asText(toValue('t')), 't');
  assert.equal(Value.asMoney(toValue(Money.fromFen(9))).fen, 9n);
  assert.equal(Value.asItems(toValue(1)), undefined);
  assert.ok(Value.isItemTag('date') && !Value.isItemTag('items'));
});

test('what is not a value is refused, naming where', () => {
  assert.throws(() => toValue(null, 'x.y'), /x\.y: null is not a value/);
  assert.throws(() => toValue(2 ** 60), /whole number/, 'an unsafe integer must be a BigInt');
  assert.throws(() => toValue({ year: 2026, month: 2, day: 30 }), /not a date that exists/);
  assert.throws(() => toItem(['nested']), /a list cannot hold a list/);
  assert.throws(() => toValue({ tag: 'colour', val: 1 }), /no value case "colour"/);
  assert.throws(() => toValue({ tag: 'text', val: 1 }), /is not a text value/);
});

test('money is exact, in fen', () => {
  assert.equal(Money.fromYuan('12345.67').fen, 1234567n);
  assert.equal(Money.fromYuan('12,345.6').fen, 1234560n);
  assert.equal(Money.fromYuan(' 7 ').fen, 700n);
  assert.equal(Money.fromYuan('-3.05').fen, -305n);
  assert.equal(Money.fromYuan('+0.01').fen, 1n);
  assert.throws(() => Money.fromYuan(''), (e) => e instanceof MoneyError && e.kind === 'empty' && e.message === 'no amount given');
  for (const bad of ['1.2.3', '1e5', '¥5', '.5', '5.', '-', '1 000']) {
    assert.throws(() => Money.fromYuan(bad), (e) => e.kind === 'malformed', bad);
  }
  assert.throws(
    () => Money.fromYuan('0.001'),
    (e) => e.kind === 'too-precise' && e.message === '"0.001" has more than two decimals; fen are the smallest unit',
  );
  assert.throws(() => Money.fromYuan('92233720368547758.08'), (e) => e.kind === 'too-large');
  assert.equal(Money.fromYuan('92233720368547758.07').fen, 2n ** 63n - 1n);
  assert.equal(Money.fromFen(-120).toString(), '-1.20');
  assert.equal(Money.fromFen(-(2n ** 63n)).toString(), '-92233720368547758.08');
  assert.equal(Money.fromWholeYuan(3).fen, 300n);
  assert.equal(Money.fromWholeYuan(2n ** 62n), undefined);
  assert.throws(() => Money.fromFen(2n ** 63n), RangeError);
  assert.throws(() => Money.fromFen(0.5), TypeError);
  for (const fen of [0n, 1n, 99n, 100n, 123456789n, -1n, -99999n]) {
    assert.ok(Money.fromYuan(Money.fromFen(fen).toString()).equals(Money.fromFen(fen)));
  }
  assert.equal(Money.fromFen(1).compare(Money.fromFen(2)), -1);
  assert.equal(Money.fromFen(1).plus(Money.fromFen(2)).minus(Money.fromFen(4)).fen, -1n);
});

test('texts pick a language and join', () => {
  const a = text('甲', 'A');
  assert.equal(Text.get(a, 'en-GB'), 'A');
  assert.equal(Text.get(a, 'zh-CN'), '甲');
  assert.equal(Text.get(a, 'fr'), '甲');
  assert.ok(!Text.isIncomplete(a));
  assert.ok(Text.isIncomplete(text('甲', ' ')));
  const joined = Text.join([a, text('乙', 'B')]);
  assert.deepEqual(joined, text('甲；乙', 'A; B'));
  assert.equal(Text.format(joined), '甲；乙 / A; B');
});

test('dates parse, format and add as the Rust SDK does', () => {
  const d = (t) => dates.parse(t);
  assert.equal(dates.format(d('2026-10-20')), '2026-10-20');
  assert.equal(dates.compact(d('2026-10-20')), '20261020');
  assert.deepEqual(dates.parseCompact('20240229'), d('2024-02-29'));
  assert.equal(dates.parse('2026-02-29'), undefined);
  assert.equal(dates.parse('2026-1-01'), undefined);
  assert.equal(dates.parse('２０２６-01-01'), undefined);
  assert.equal(dates.parseCompact('2026010x'), undefined);
  assert.equal(dates.daysInMonth(2024, 2), 29);
  assert.equal(dates.daysInMonth(2026, 13), 0);
  assert.equal(dates.daysSinceEpoch(d('1970-01-01')), 0);
  assert.equal(dates.daysSinceEpoch(d('2000-03-01')), 11017);
  for (const days of [-800000, -1, 0, 1, 20000, 20785, 2000000]) {
    assert.equal(dates.daysSinceEpoch(dates.fromDaysSinceEpoch(days)), days);
  }
  assert.deepEqual(dates.addDays(d('2026-11-28'), 3), d('2026-12-01'));
  assert.deepEqual(dates.addDays(d('2026-03-01'), -1), d('2026-02-28'));
  assert.deepEqual(dates.addMonths(d('2026-08-31'), 6), d('2027-02-28'));
  assert.deepEqual(dates.addMonths(d('2026-01-15'), -1), d('2025-12-15'));
  assert.equal(dates.daysUntil(d('2026-10-20'), d('2026-11-28')), 39);
  assert.equal(dates.yearsUntil(d('1990-03-07'), d('2026-03-06')), 35);
  assert.equal(dates.yearsUntil(d('1990-03-07'), d('2026-03-07')), 36);
  assert.equal(dates.compare(d('2025-12-31'), d('2026-01-01')), -1);
  assert.ok(dates.equals(d('2026-01-01'), { year: 2026, month: 1, day: 1 }));
  assert.deepEqual(dates.fromYmd(2026, 2, 29), undefined);
});

test('UTF-8 and trimming behave as Rust', () => {
  assert.deepEqual([...encode('厦')], [0xe5, 0x8e, 0xa6]);
  assert.equal(decode(encode('厦门 A/B 😀')), '厦门 A/B 😀');
  assert.equal(decode(Uint8Array.from([0x61, 0xff, 0x62, 0xe5, 0x8e])), 'a\ufffdb\ufffd');
  assert.equal(trim('\u3000 x \n'), 'x', 'ideographic space is White_Space');
  assert.equal(trim('\ufeffx'), '\ufeffx', 'a BOM is not White_Space in Rust');
});
