"""Values, texts, money, dates, and typed access to fields and materials."""

import math
import unittest

from onething_sdk import (
    Date,
    Draft,
    Field,
    Fields,
    Item,
    Material,
    Materials,
    Money,
    MoneyError,
    ProblemError,
    Text,
    Value,
    text,
)


def problem(call, *args):
    try:
        call(*args)
    except ProblemError as e:
        return e.problem
    raise AssertionError(f"{call.__name__}{args} raised no problem")


class Values(unittest.TestCase):
    def test_plain_python_becomes_values(self):
        self.assertEqual(Value.of("a"), Value("text", "a"))
        self.assertEqual(Value.of(3), Value.integer(3))
        self.assertEqual(Value.of(1.5), Value.decimal(1.5))
        self.assertEqual(Value.of(True).type_name, "boolean")
        self.assertEqual(Value.of(Date(2026, 1, 2)).kind, "date")
        self.assertEqual(Value.of(Money(5)), Value("money", 5))
        self.assertEqual(Value.money(Money(5)), Value.money(5))
        self.assertEqual(Value.money(5).as_money(), Money(5))
        listed = Value.items(["a", "b"])
        self.assertEqual(listed.type_name, "items")
        self.assertEqual([i.as_text() for i in listed.as_items()], ["a", "b"])
        mixed = [Item.of(x) for x in (1, 1.5, True, Date(2026, 1, 2), Money(7), "x")]
        self.assertEqual([i.type_name for i in mixed], ["integer", "decimal", "boolean", "date", "money", "text"])
        self.assertEqual(mixed[4].as_money(), Money(7))
        self.assertEqual(Value.of(mixed), Value("items", mixed))
        self.assertIsNone(Value.integer(1).as_items())

    def test_refuses_what_the_contract_cannot_carry(self):
        with self.assertRaisesRegex(ValueError, "s64"):
            Value.integer(1 << 63)
        with self.assertRaisesRegex(TypeError, "int"):
            Value.money(1.5)
        with self.assertRaisesRegex(TypeError, "list cannot hold a list"):
            Value.items([[1]])
        with self.assertRaisesRegex(TypeError, "not a field value"):
            Value.of({"a": 1})
        with self.assertRaisesRegex(ValueError, "not a value kind"):
            Value("float", 1.0)
        with self.assertRaisesRegex(TypeError, "bool"):
            Value("boolean", 1)


class Texts(unittest.TestCase):
    def test_picks_a_language_and_joins(self):
        a = text("甲", "A")
        self.assertEqual(a.get("en-GB"), "A")
        self.assertEqual(a.get("zh-CN"), "甲")
        self.assertFalse(a.is_incomplete)
        self.assertTrue(text("甲", " ").is_incomplete)
        self.assertTrue(text("\u3000", "A").is_incomplete)
        joined = Text.join([a, text("乙", "B")])
        self.assertEqual(joined, Text("甲；乙", "A; B"))
        self.assertEqual(str(joined), "甲；乙 / A; B")
        with self.assertRaises(TypeError):
            Text("甲", None)


class Monies(unittest.TestCase):
    def test_parses_and_prints_yuan_exactly(self):
        self.assertEqual(Money.from_yuan("12,345.6").fen, 1_234_560)
        self.assertEqual(Money.from_yuan("+0.01"), Money(1))
        for bad in ("1.2.3", "1e5", "¥5", ".5", "5.", "-", "1 000"):
            with self.assertRaises(MoneyError) as caught:
                Money.from_yuan(bad)
            self.assertEqual(caught.exception.kind, "malformed", bad)
        with self.assertRaises(MoneyError) as precise:
            Money.from_yuan("0.001")
        self.assertEqual(str(precise.exception), '"0.001" has more than two decimals; fen are the smallest unit')
        with self.assertRaises(MoneyError) as huge:
            Money.from_yuan("9" * 5000)
        self.assertEqual(huge.exception.kind, "too-large")
        self.assertEqual(str(Money(-120)), "-1.20")
        self.assertEqual(str(Money(-(1 << 63))), "-92233720368547758.08")
        self.assertEqual(Money.from_whole_yuan(3), Money(300))
        self.assertIsNone(Money.from_whole_yuan((1 << 63) - 1))
        for fen in (0, 1, 99, 100, 123_456_789, -1, -99_999):
            self.assertEqual(Money.from_yuan(str(Money(fen))), Money(fen))
        self.assertLess(Money(1), Money(2))


class Dates(unittest.TestCase):
    def test_parses_formats_and_counts(self):
        d = Date.parse("2026-10-20")
        self.assertEqual(str(d), "2026-10-20")
        self.assertEqual(d.compact(), "20261020")
        self.assertEqual(Date.parse_compact("20240229"), Date(2024, 2, 29))
        for bad in ("2026-02-29", "2026-13-01", "2026-1-01", "２０２６-01-01"):
            self.assertIsNone(Date.parse(bad), bad)
        self.assertIsNone(Date.parse_compact("2026010x"))
        self.assertEqual(Date(1970, 1, 1).days_since_epoch(), 0)
        self.assertEqual(Date(2000, 3, 1).days_since_epoch(), 11_017)
        for days in (-800_000, -1, 0, 1, 20_000, 2_000_000):
            self.assertEqual(Date.from_days_since_epoch(days).days_since_epoch(), days)
        self.assertEqual(Date(2026, 8, 31).add_months(6), Date(2027, 2, 28))
        self.assertEqual(Date(2026, 10, 20).days_until(Date(2026, 11, 28)), 39)
        self.assertEqual(Date(1990, 3, 7).years_until(Date(2026, 3, 6)), 35)
        self.assertLess(Date(2025, 12, 31), Date(2026, 1, 1))
        self.assertEqual(Date.from_python(Date(2026, 1, 2).to_python()), Date(2026, 1, 2))
        self.assertIsNone(Date.from_ymd(2026, 2, 29))


class TypedFields(unittest.TestCase):
    def test_typed_access(self):
        d = Date(2026, 10, 20)
        f = Fields(
            [
                Field("child.name", " 林安然 "),
                Field("child.birth_date", d),
                Field("mother.insured", True),
                Field("enterprise.employee_count", 12),
                Field("enterprise.registered_capital", 50.5),
                Field("blank.text", "  "),
            ]
        )
        self.assertEqual(f.text("child.name"), "林安然")
        self.assertEqual(f.date("child.birth_date"), d)
        self.assertIs(f.boolean("mother.insured"), True)
        self.assertEqual(f.integer("enterprise.employee_count"), 12)
        self.assertEqual(f.decimal("enterprise.employee_count"), 12.0)
        self.assertEqual(f.decimal("enterprise.registered_capital"), 50.5)
        self.assertIsNone(f.text("blank.text"))
        self.assertIsNone(f.text("child.birth_date"))
        self.assertEqual(len(f), 6)
        self.assertTrue(f.has("blank.text"))
        self.assertEqual(f.keys()[0], "child.name")
        self.assertEqual([x.key for x in f][:2], ["child.name", "child.birth_date"])

    def test_money_and_lists(self):
        f = Fields(
            [
                Field("fee", Value.money(1_234_567)),
                Field("children", Value.items(["350206202610200021 ", "B"])),
                Field("fees", Value.items([Money(1), Money(2)])),
                Field("mixed", Value.items(["a", 1])),
                Field("empty", Value.items([])),
            ]
        )
        self.assertEqual(str(f.money("fee")), "12345.67")
        self.assertEqual(f.require_money("fee"), Money(1_234_567))
        self.assertEqual(f.texts("children"), ["350206202610200021", "B"])
        self.assertEqual(len(f.monies("fees")), 2)
        self.assertIsNone(f.texts("mixed"))
        self.assertEqual(len(f.items("mixed")), 2)
        self.assertEqual(f.require_items("empty"), [])
        self.assertEqual(f.require_texts("empty"), [])
        self.assertEqual(problem(f.require_texts, "mixed").code, "wrong-type")
        self.assertEqual(
            problem(f.require_money, "children").message.en, "children should be of type money, not items"
        )
        self.assertEqual(problem(f.require_money, "children").message.zh, "children 应为 money 类型，收到 items")
        self.assertIsNone(f.money("children"))
        self.assertEqual(problem(f.require_items, "nothing").code, "missing")

    def test_drafts_read_as_drafts(self):
        draft = Draft("app-1", "s", [Field("child.name", "林安然")])
        self.assertTrue(draft.fields.is_draft)
        self.assertEqual(draft.fields.text("child.name"), "林安然")
        self.assertEqual(draft.application, "app-1")
        self.assertFalse(draft.materials.has("x"))

    def test_required_access_reports_problems(self):
        f = Fields([Field("child.birth_date", "2026-10-20"), Field("blank.text", "")])
        missing = problem(f.require_text, "child.name")
        self.assertEqual((missing.code, missing.field_key), ("missing", "child.name"))
        self.assertEqual(missing.message.en, "Please fill in child.name: it is required")
        self.assertEqual(missing.message.zh, "请填写 child.name")
        self.assertEqual(problem(f.require_text, "blank.text").code, "missing")
        self.assertEqual(problem(f.require_date, "child.birth_date").code, "wrong-type")
        self.assertEqual(problem(f.require_decimal, "x.y").code, "missing")
        nan = Fields([Field("a.b", math.nan)])
        self.assertIsNone(nan.decimal("a.b"))
        self.assertEqual(problem(nan.require_decimal, "a.b").code, "wrong-type")

    def test_coded_identifiers(self):
        f = Fields(
            [
                Field("mother.id_number", "11010519491231002X"),
                Field("father.id_number", "110105194912310021"),
                Field("enterprise.uscc", "9144030071526726XG"),
                Field("bad.uscc", "9144030071526726XH"),
                Field("lower.id_number", "11010519491231002x"),
                Field("old.id_number", "110105189912310023"),
                Field("lower.uscc", "9144030071526726xg"),
                Field("good.card", "4111111111111111"),
                Field("bad.card", "4111111111111112"),
                Field("short.card", "41111"),
            ]
        )
        self.assertEqual(str(f.require_resident_id("mother.id_number")), "11010519491231002X")
        lower = problem(f.require_resident_id, "lower.id_number")
        self.assertEqual((lower.code, lower.field_key), ("bad-characters", "lower.id_number"))
        self.assertIn("capital X", lower.message.en)
        self.assertTrue(lower.message.en.startswith("The resident ID number is not valid: "))
        self.assertTrue(lower.message.en.endswith(" (lower.id_number)"))
        self.assertTrue(lower.message.zh.startswith("公民身份号码有误："))
        self.assertEqual(problem(f.require_resident_id, "old.id_number").code, "bad-birth-date")
        self.assertEqual(problem(f.require_uscc, "lower.uscc").code, "bad-characters")
        self.assertEqual(f.require_bank_card("good.card"), "4111111111111111")
        self.assertEqual(problem(f.require_bank_card, "bad.card").code, "bad-check-digit")
        self.assertEqual(problem(f.require_bank_card, "short.card").code, "bad-card-number")
        self.assertEqual(problem(f.require_bank_card, "x.y").code, "missing")
        self.assertEqual(problem(f.resident_id, "father.id_number").code, "bad-check-digit")
        self.assertIsNone(f.resident_id("x.y"))
        self.assertEqual(problem(f.require_resident_id, "x.y").code, "missing")
        self.assertEqual(f.require_uscc("enterprise.uscc"), "9144030071526726XG")
        self.assertEqual(problem(f.require_uscc, "bad.uscc").code, "bad-check-digit")

    def test_issued_fields_may_be_absent_only_in_a_draft(self):
        listed = [Field("child.id_number", "11010519491231002X")]
        draft = Fields(listed, draft=True)
        self.assertIsNone(draft.issued_text("child.hukou_number"))
        self.assertIsNotNone(draft.issued_resident_id("child.id_number"))
        self.assertIsNone(draft.issued_uscc("enterprise.uscc"))
        full = Fields(listed)
        self.assertEqual(problem(full.issued_text, "child.hukou_number").code, "missing")
        self.assertEqual(problem(full.issued_uscc, "child.id_number").code, "bad-region")

    def test_materials_by_code(self):
        m = Materials([Material("marriage-certificate", "sha256:" + "0" * 64, "application/pdf", 10)])
        self.assertTrue(m.has("marriage-certificate"))
        self.assertEqual(m.require("marriage-certificate").size, 10)
        p = problem(m.require, "premises-proof")
        self.assertEqual((p.material_code, p.code), ("premises-proof", "missing"))
        self.assertEqual(p.message.en, "Please supply the material premises-proof: it is required")
        with self.assertRaises(ValueError):
            Material("x", "sha256:", "application/pdf", -1)
