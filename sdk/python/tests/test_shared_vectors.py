"""Every shared test vector (``sdk/vectors/shared.json``, generated from
the Rust SDK) through this SDK's own entry points: identifiers (through
the Fields helpers where the Rust test uses them, and the validate
functions), check characters, parsed and built numbers, hashing, the
field helpers' answers, money, dates and problem codes. A vector this SDK
answers differently fails, naming it."""

import json
import unittest

from onething_sdk import Date, Field, Fields, Item, Money, MoneyError, Problem, ProblemError, Value, hash, ids

from . import REPOSITORY

VECTORS = json.loads((REPOSITORY / "sdk" / "vectors" / "shared.json").read_text(encoding="utf-8"))
KEY = "vector.value"


def _date(text):
    d = Date.parse(text)
    assert d is not None, text
    return d


def _item_from_json(j):
    ((kind, v),) = j.items()
    return Item(kind, _date(v) if kind == "date" else v)


def _value_from_json(j):
    ((kind, v),) = j.items()
    if kind == "items":
        return Value("items", [_item_from_json(i) for i in v])
    return Value(kind, _date(v) if kind == "date" else v)


def _item_json(i):
    return {i.kind: str(i.value) if i.kind == "date" else i.value}


def _verdict(fields, kind, text):
    """What this SDK answers for ``text`` as ``kind``: None if accepted, else
    the code; also requires the helpers and the validators to agree."""

    def problem_code(call):
        try:
            call()
            return None
        except ProblemError as e:
            assert e.problem.field_key == KEY, e.problem
            return e.problem.code

    def id_code(call):
        try:
            call()
            return None
        except ids.IdError as e:
            return e.code

    if kind == "resident-id":
        required = problem_code(lambda: fields.require_resident_id(KEY))
        if required is None:
            assert str(fields.require_resident_id(KEY)) == text, "stored as typed"
        assert problem_code(lambda: fields.resident_id(KEY)) == required, text
        assert id_code(lambda: ids.ResidentId.parse(text)) == required, text
        assert id_code(lambda: ids.validate_resident_id(text)) == required, text
        return required
    if kind == "uscc":
        required = problem_code(lambda: fields.require_uscc(KEY))
        assert id_code(lambda: ids.validate_uscc(text)) == required, text
        return required
    if kind == "bank-card":
        required = problem_code(lambda: fields.require_bank_card(KEY))
        assert id_code(lambda: ids.validate_bank_card(text)) == required, text
        return required
    return id_code(lambda: ids.VALIDATORS[kind](text))


class IdVectors(unittest.TestCase):
    def test_every_verdict_and_code(self):
        verdicts = VECTORS["ids"]["verdicts"]
        self.assertGreaterEqual(len(verdicts), 40)
        failures = []
        for v in verdicts:
            fields = Fields([Field(KEY, Value.text(v["input"]))])
            got = _verdict(fields, v["kind"], v["input"])
            if got != v["expected"]:
                failures.append(f"{v['kind']} {v['input']!r}: expected {v['expected']}, got {got} ({v['about']})")
        self.assertEqual(failures, [])
        self.assertEqual(sorted({v["kind"] for v in verdicts}), sorted(ids.VALIDATORS))

    def test_check_characters(self):
        functions = {
            "resident-id": ids.resident_id_check_char,
            "uscc": ids.uscc_check_char,
            "org-code": ids.org_code_check_char,
        }
        for v in VECTORS["ids"]["check_chars"]:
            with self.subTest(v=v):
                self.assertEqual(functions[v["kind"]](v["body"]), v["check"])

    def test_parsed_resident_ids(self):
        self.assertTrue(VECTORS["ids"]["resident_ids"])
        for v in VECTORS["ids"]["resident_ids"]:
            with self.subTest(v=v["input"]):
                parsed = ids.ResidentId.parse(v["input"])
                self.assertEqual(str(parsed), v["input"])
                self.assertEqual(parsed.region, v["region"])
                self.assertEqual(str(parsed.birth_date), v["birth_date"])
                self.assertEqual(parsed.sequence, v["sequence"])
                self.assertEqual(parsed.sex.code, v["sex"])

    def test_built_resident_ids(self):
        for v in VECTORS["ids"]["built_resident_ids"]:
            with self.subTest(v=v):
                try:
                    built, error = str(ids.ResidentId.build(v["region"], _date(v["birth_date"]), v["sequence"])), None
                except ids.IdError as e:
                    built, error = None, e.code
                self.assertEqual((built, error), (v["result"], v["error"]))

    def test_built_usccs(self):
        for v in VECTORS["ids"]["built_usccs"]:
            with self.subTest(v=v):
                try:
                    built, error = ids.build_uscc(v["authority"], v["kind"], v["region"], v["body"]), None
                except ids.IdError as e:
                    built, error = None, e.code
                self.assertEqual((built, error), (v["result"], v["error"]))


class HashVectors(unittest.TestCase):
    def test_stable_u64(self):
        for v in VECTORS["hash"]["stable_u64"]:
            with self.subTest(parts=v["parts"]):
                self.assertEqual(hash.stable_u64(v["parts"]), int(v["value"]))

    def test_digits(self):
        for v in VECTORS["hash"]["digits"]:
            with self.subTest(parts=v["parts"], n=v["n"]):
                self.assertEqual(hash.digits(v["parts"], v["n"]), v["value"])

    def test_below(self):
        for v in VECTORS["hash"]["below"]:
            with self.subTest(parts=v["parts"], bound=v["bound"]):
                self.assertEqual(hash.below(v["parts"], int(v["bound"])), int(v["value"]))


def _answer(fields, helper):
    try:
        result = getattr(fields, helper)(KEY)
    except ProblemError as e:
        assert e.problem.field_key == KEY, e.problem
        return {"problem": e.problem.code}
    if isinstance(result, Money):
        result = result.fen
    elif isinstance(result, Date):
        result = str(result)
    elif isinstance(result, ids.ResidentId):
        result = str(result)
    elif helper == "require_items":
        result = [_item_json(i) for i in result]
    return {"ok": result}


class FieldVectors(unittest.TestCase):
    def test_every_helper_answers_as_the_rust_sdk(self):
        self.assertTrue(VECTORS["fields"])
        failures = []
        for v in VECTORS["fields"]:
            listed = [] if v["value"] is None else [Field(v["key"], _value_from_json(v["value"]))]
            fields = Fields(listed, draft=v["draft"])
            for helper, expected in v["answers"].items():
                self.assertEqual(v["draft"], helper.startswith("issued_"))
                got = _answer(fields, helper)
                # Compared as JSON text, so 8 and 8.0 and True and 1 differ.
                if json.dumps(got, sort_keys=True) != json.dumps(expected, sort_keys=True):
                    failures.append(f"{helper} of {v['value']} (draft={v['draft']}): expected {expected}, got {got}")
        self.assertEqual(failures, [])


class MoneyVectors(unittest.TestCase):
    def test_from_yuan(self):
        for v in VECTORS["money"]["from_yuan"]:
            with self.subTest(yuan=v["yuan"]):
                if "fen" in v:
                    self.assertEqual(Money.from_yuan(v["yuan"]).fen, v["fen"])
                else:
                    with self.assertRaises(MoneyError) as caught:
                        Money.from_yuan(v["yuan"])
                    self.assertEqual(caught.exception.kind, v["error"])

    def test_display(self):
        for v in VECTORS["money"]["display"]:
            with self.subTest(fen=v["fen"]):
                self.assertEqual(str(Money(int(v["fen"]))), v["text"])


class DateVectors(unittest.TestCase):
    def test_add_months(self):
        for v in VECTORS["dates"]["add_months"]:
            with self.subTest(v=v):
                self.assertEqual(str(_date(v["date"]).add_months(v["months"])), v["result"])

    def test_add_days(self):
        for v in VECTORS["dates"]["add_days"]:
            with self.subTest(v=v):
                self.assertEqual(str(_date(v["date"]).add_days(v["days"])), v["result"])

    def test_ages(self):
        for v in VECTORS["dates"]["ages"]:
            with self.subTest(v=v):
                birth, on = _date(v["birth"]), _date(v["on"])
                self.assertEqual(birth.years_until(on), v["years"])
                self.assertEqual(birth.days_until(on), v["days"])

    def test_parse(self):
        for v in VECTORS["dates"]["parse"]:
            with self.subTest(text=v["text"]):
                parsed = Date.parse(v["text"])
                self.assertEqual(str(parsed) if parsed else None, v["date"])


class ProblemVectors(unittest.TestCase):
    def test_codes(self):
        self.assertEqual(list(ids.ALL_CODES), VECTORS["problems"]["id_codes"])
        unknown = VECTORS["problems"]["unknown_step"]
        p = Problem.unknown_step(unknown["step"])
        self.assertEqual(p.code, unknown["code"])
        self.assertEqual(p.subject.kind, unknown["subject"])

    def test_every_section_is_checked(self):
        self.assertEqual(
            sorted(VECTORS),
            ["about", "dates", "fields", "hash", "ids", "money", "problems"],
            "a new section of shared.json needs its checks here",
        )
        self.assertEqual(
            sorted(VECTORS["ids"]), ["built_resident_ids", "built_usccs", "check_chars", "resident_ids", "verdicts"]
        )
