"""Building approvals, outcomes and problem lists, and manifests."""

import unittest

from onething_sdk import (
    DEFAULT_TIME_LIMIT_MINUTES,
    Approval,
    Manifest,
    Outcome,
    Problem,
    ProblemError,
    Problems,
    StepError,
    StepSpec,
    Subject,
    Text,
    Value,
    approve,
    defer,
    needs_more,
    reject,
)


class Approvals(unittest.TestCase):
    def test_builds_approvals(self):
        a = (
            approve()
            .field("child.hukou_number", "H1")
            .field("child.hukou_number", "H2")
            .field("tax.invoice_quota", 25)
            .document("hukou", "H2", "户口登记", "Household registration")
            .note("好", "ok")
        )
        self.assertEqual(len(a.fields), 2)
        self.assertEqual(a.text("child.hukou_number"), "H2")
        self.assertEqual(a.get("tax.invoice_quota"), Value.integer(25))
        self.assertEqual(a.documents[0].title, Text("户口登记", "Household registration"))
        self.assertEqual(a.note_text, Text("好", "ok"))
        self.assertEqual(approve().note(Text.join([Text("甲", "a"), Text("乙", "b")])).note_text, Text("甲；乙", "a; b"))
        with self.assertRaisesRegex(TypeError, "English"):
            approve().note("只有中文")
        o = Outcome.of(a)
        self.assertTrue(o.is_approved)
        self.assertEqual(o.problems, [])
        self.assertIs(o.approval, a)
        self.assertEqual(reject("不", "no").rejection.en, "no")
        self.assertEqual(defer("T1", "线下", "offline").ticket.id, "T1")
        self.assertIsNone(needs_more([]).approval)
        with self.assertRaisesRegex(TypeError, "handle returned dict"):
            Outcome.of({"approved": True})
        with self.assertRaises(TypeError):
            Outcome("approved", "yes")


class ProblemLists(unittest.TestCase):
    def test_collects_problems_once_each(self):
        p = Problems()
        p.field("child.name", "missing", "甲", "a").field("child.name", "missing", "再", "again")
        p.material("premises-proof", "missing", "材", "m").general("g", "总", "m")
        self.assertEqual(p.take(lambda: 3), 3)

        def missing_mother():
            raise ProblemError(Problem.field("mother.name", "missing", "母", "m"))

        self.assertIsNone(p.take(missing_mother))
        self.assertEqual(len(p), 4)
        self.assertTrue(p.has_field("mother.name"))
        self.assertFalse(p.has_field("father.name"))
        outcome = p.into_outcome(lambda: self.fail("not called"))
        self.assertTrue(outcome.has_field_problem("child.name", "missing"))
        self.assertEqual(len(p.to_list()), 4)
        self.assertEqual(p.to_list()[0].message, Text("甲", "a"))
        self.assertTrue(Problems().into_outcome(approve).is_approved)
        self.assertEqual(Problems().into_outcome(lambda: reject("不", "no")).kind, "rejected")

        def down():
            raise StepError.transient("down")

        with self.assertRaises(StepError) as caught:
            Problems().into_outcome(down)
        self.assertTrue(caught.exception.is_transient)

    def test_problems_and_errors_name_what_they_are_about(self):
        self.assertEqual(Problem.field("child.name", "missing", "缺", "m").field_key, "child.name")
        self.assertEqual(Problem.material("premises-proof", "missing", "缺", "m").material_code, "premises-proof")
        self.assertIsNone(Problem.general("x", "总", "m").field_key)
        self.assertEqual(Problem.unknown_step("s").message.en, "This department does not handle step s")
        self.assertEqual(Problem.unknown_step("s").subject, Subject.general())
        self.assertTrue(StepError.transient("down").is_transient)
        self.assertFalse(StepError.unknown_step("x").is_transient)
        self.assertEqual(StepError.unknown_step("x"), StepError.permanent("unknown step x"))
        self.assertEqual(StepError.permanent("p").kind, "permanent")
        with self.assertRaises(ValueError):
            Subject("field")


class Manifests(unittest.TestCase):
    def test_builds_steps(self):
        s = (
            StepSpec("birth-certificate", "出生医学证明", "Birth certificate")
            .reads("child.name", "p", "p")
            .reads_optional("father.name", "p", "p")
            .writes("child.birth_certificate_number")
            .material("birth-record", "p", "p")
            .material_optional("x-y", "核对", "To check")
            .time_limit_minutes(90)
        )
        self.assertEqual(len(s.field_needs), 2)
        self.assertTrue(s.field_needs[0].required and not s.field_needs[1].required)
        self.assertTrue(s.reads_key("father.name") and not s.reads_key("mother.name"))
        self.assertTrue(s.writes_key("child.birth_certificate_number"))
        self.assertTrue(s.material_needs[0].required and not s.material_needs[1].required)
        self.assertEqual(s.material_needs[1].purpose, Text("核对", "To check"))
        self.assertTrue(s.needs_material("x-y"))
        self.assertEqual(s.title.en, "Birth certificate")
        self.assertEqual(s.limit_minutes, 90)
        self.assertEqual(StepSpec("a", "b", "B").limit_minutes, DEFAULT_TIME_LIMIT_MINUTES)
        self.assertEqual(StepSpec("a", "b", "B").time_limit_hours(8).limit_minutes, 480)
        self.assertEqual(StepSpec("a", "b", "B").time_limit_hours((1 << 32) - 1).limit_minutes, (1 << 32) - 1)
        with self.assertRaises(ValueError):
            StepSpec("a", "b", "B").time_limit_minutes(-1)
        m = Manifest("health", "卫健委", "Health Commission", "1.0.0").step(s)
        self.assertIs(m.find_step("birth-certificate"), s)
        self.assertIsNone(m.find_step("nope"))
        self.assertEqual(m.name.en, "Health Commission")
        self.assertIsInstance(approve(), Approval)
