"""The test kit: building requests, calling a department as the host does,
and checking manifests against the data dictionary."""

import unittest

from onething_sdk import (
    Department,
    Field,
    Manifest,
    Problem,
    Problems,
    StepError,
    StepSpec,
    approve,
    export,
    testkit,
)
from onething_sdk.testkit import names

from . import REPOSITORY


class Demo(Department):
    def describe(self):
        return (
            Manifest("demo", "示例", "Demo", "0.1.0")
            .step(StepSpec("ok", "好", "Good").reads("a.b", "p", "p").writes("x.y").material("m-1", "p", "p"))
            .step(StepSpec("bad", "坏", "Bad").reads("a.b", "p", "p"))
            .step(StepSpec("strict", "严", "Strict").reads("a.b", "p", "p"))
        )

    def check(self, draft):
        problems = [Problem.field(f.key, "seen", "见", "seen") for f in draft.fields]
        if draft.application is not None:
            problems.append(Problem.general("application", draft.application, draft.application))
        return problems

    def prefill(self, draft):
        return {"x.y": ",".join(draft.fields.keys())}

    def handle(self, request):
        if request.step == "strict":
            # A require_* outside Problems.take: its problem is the outcome.
            request.fields.require_integer("a.b")
        if request.step == "down":
            raise StepError.transient("down")
        seen = ",".join(request.fields.keys()) + "|" + ",".join(m.code for m in request.materials)
        return approve().field("x.y", seen)


class Requests(testkit.TestCase):
    def test_builds_requests(self):
        r = (
            testkit.request("s")
            .field("a.b", "1")
            .field("a.b", "2")
            .field("c.d", 3)
            .without("c.d")
            .material("m-1")
            .material("m-1")
            .application("app-9")
            .attempt(3)
        )
        self.assertEqual(len(r.fields()), 1)
        self.assertEqual(len(r.materials()), 1)
        req = r.build()
        self.assertEqual(req.idempotency_key, "app-9/s")
        self.assertEqual(req.application, "app-9")
        self.assertEqual(req.attempt, 3)
        self.assertEqual(len(req.materials[0].digest), 71)
        self.assertTrue(all(c in "0123456789abcdef" for c in req.materials[0].digest[7:]))
        self.assertEqual(req.fields.text("a.b"), "2")
        self.assertEqual(testkit.request("employer-account").build().idempotency_key, "app-test/employer-account")
        self.assertEqual(testkit.request("s").idempotency_key("k").build().idempotency_key, "k")
        b = testkit.request("s").field("a.b", "1").application("app-3")
        self.assertEqual(b.draft().application, "app-3")
        self.assertIsNone(b.form().application)
        self.assertEqual(len(b.form().fields), 1)
        with self.assertRaises(ValueError):
            testkit.date("2026-02-30")


class RunsADepartmentLikeTheHost(testkit.TestCase):
    def test_only_declared_fields_and_materials_go_in(self):
        r = testkit.request("ok").field("a.b", "1").field("secret.value", "2").material("m-1").material("m-2")
        out = testkit.handle(Demo, r.build())
        self.assertEqual(out.approval.text("x.y"), "a.b|m-1")
        problems = testkit.check(Demo, r.build())
        self.assertEqual(len(problems), 2)
        self.assertEqual(problems[1].message.en, "app-test")
        self.assertEqual(len(testkit.check_draft(Demo, r.form())), 1)
        self.assertEqual(len(testkit.check(Demo, r)), 2)
        self.assertEqual(testkit.prefill(Demo, r.build()), [Field("x.y", "a.b")])
        self.assertEqual(testkit.manifest_faults(Demo().describe()), [])

    def test_an_undeclared_write_fails_the_test(self):
        with self.assertRaisesRegex(AssertionError, r"step bad wrote undeclared fields: \['x.y'\]"):
            testkit.handle(Demo, testkit.request("bad").field("a.b", "1").build())

    def test_an_escaping_problem_is_the_outcome_and_errors_are_raised(self):
        out = testkit.handle(Demo, testkit.request("strict").field("a.b", "text").build())
        self.assertTrue(out.has_field_problem("a.b", "wrong-type"))
        with self.assertRaises(StepError) as caught:
            testkit.handle(Demo, testkit.request("down").build())
        self.assertTrue(caught.exception.is_transient)

    def test_export_checks_the_department(self):
        handler = export(Demo)
        self.assertEqual(handler.__name__, "Handler")
        for method in ("describe", "check", "prefill", "handle"):
            self.assertTrue(callable(getattr(handler, method)))

        class NotOne:
            def describe(self):
                return None

        with self.assertRaisesRegex(TypeError, "NotOne is not a department: it has no check, prefill, handle"):
            export(NotOne)

    def test_a_department_answering_the_wrong_types_is_named(self):
        class Sloppy(Demo):
            def check(self, draft):
                return ["not a problem"]

            def handle(self, request):
                return {"approved": True}

        with self.assertRaisesRegex(TypeError, "Sloppy.check"):
            testkit.check(Sloppy, testkit.request("ok").build())
        with self.assertRaisesRegex(TypeError, "handle returned dict"):
            testkit.handle(Sloppy, testkit.request("ok").build())

    def test_check_may_return_a_problem_list(self):
        class Collecting(Demo):
            def check(self, draft):
                p = Problems()
                p.take(draft.fields.require_text, "a.b")
                return p

        self.assertEqual(testkit.check(Collecting, testkit.request("ok").build())[0].code, "missing")

    def test_state_is_reset(self):
        testkit.config("a", "1")
        testkit.seed("k", "v")
        testkit.http.expect("GET", "http://x.test/")
        testkit.reset()
        self.assertEqual(testkit.stored_keys(), [])
        self.assertEqual(testkit.http.pending(), [])


class ManifestLint(unittest.TestCase):
    def test_lints_the_shape(self):
        m = (
            Manifest("Bad_Dept", " ", " ", "1.0")
            .step(
                StepSpec("s", "t", "T")
                .reads("nodot", "", "")
                .reads("nodot", "p", "p")
                .writes("a.b")
                .writes("a.b")
            )
            .step(StepSpec("s", "", "").material("Bad", "", "").time_limit_minutes(0))
        )
        faults = testkit.manifest_faults(m)
        self.assertEqual(len(faults), 13, faults)
        self.assertIn("department name has no Chinese and English", faults)
        self.assertIn('department id "Bad_Dept" is not kebab-case', faults)
        no_english = Manifest("d", "名", "", "1.0.0").step(
            StepSpec("s", "事项", "").reads("a.b", "用途", " ").material("m", "", "Purpose")
        )
        self.assertEqual(
            testkit.manifest_faults(no_english),
            [
                "department name has no English",
                "step s: title has no English",
                "step s: reads a.b without a purpose in English",
                "step s: material m without a purpose in Chinese",
            ],
        )
        self.assertIn("no steps", testkit.manifest_faults(Manifest("d", "n", "N", "1.0.0")))
        long_id = "a" * 65
        long_key = "a." + "b" * 127
        m = Manifest("d" * 64, "n", "N", "1.0.0-rc.1").step(
            StepSpec(long_id, "t", "T").reads(long_key, "p", "p").material("m" * 64, "p", "p")
        )
        self.assertEqual(
            testkit.manifest_faults(m),
            [f'step id "{long_id}" is not kebab-case', f'step {long_id}: reads "{long_key}", not a dictionary key'],
        )

    def test_names_follow_the_hosts_rules(self):
        for ok in ("health", "public-security", "a", "step-2", "a" * 64):
            self.assertTrue(names.is_kebab(ok), ok)
        for bad in ("", "-a", "a-", "a--b", "A", "a_b", "a" * 65):
            self.assertFalse(names.is_kebab(bad), bad)
        self.assertTrue(names.is_key("mother.id_number"))
        for bad in ("nodot", "a..b", "A.b", "a.b-c"):
            self.assertFalse(names.is_key(bad), bad)
        for ok in ("1.0.0", "0.1.0-rc.1", "1.2.3+build.5", "1.0.0-alpha-1"):
            self.assertTrue(names.is_semver(ok), ok)
        for bad in ("1.0", "01.0.0", "1.0.0-01", "1.0.0+", "v1.0.0"):
            self.assertFalse(names.is_semver(bad), bad)


class Dictionary(unittest.TestCase):
    def test_checks_a_manifest_against_the_dictionary(self):
        m = Manifest("health", "卫健委", "Health Commission", "1.0.0").step(
            StepSpec("birth-certificate", "出生医学证明", "Birth certificate")
            .reads("child.nmae", "核对姓名", "To check the name")
            .reads("mother.id_number", "核对母亲身份", "To check the mother")
            .writes("child.birth_certificate_numbr")
            .material("marriage-certificat", "核对婚姻关系", "To check the marriage")
        )
        self.assertEqual(testkit.manifest_faults(m), [], "the shape alone is sound")
        self.assertEqual(
            testkit.manifest_faults_against(m, testkit.dictionary()),
            [
                "step birth-certificate: reads child.nmae, which is not in the data dictionary "
                "(did you mean `child.name`?)",
                "step birth-certificate: writes child.birth_certificate_numbr, which is not in the data "
                "dictionary (did you mean `child.birth_certificate_number`?)",
                "step birth-certificate: needs material marriage-certificat, which is not in the data "
                "dictionary (did you mean `marriage-certificate`?)",
            ],
        )
        with self.assertRaisesRegex(AssertionError, "did you mean `child.name`"):
            testkit.assert_manifest_sound(m)
        sound = Manifest("health", "卫健委", "Health Commission", "1.0.0").step(
            StepSpec("birth-certificate", "出生医学证明", "Birth certificate").reads(
                "child.name", "核对姓名", "To check the name"
            )
        )
        testkit.assert_manifest_sound(sound)

    def test_dictionaries_from_files_and_text(self):
        d = testkit.dictionary_from(REPOSITORY / "examples" / "dictionary.toml")
        self.assertEqual(d.field_type("enterprise.employee_count"), "integer")
        self.assertTrue(d.has_material("premises-proof"))
        inline = testkit.dictionary_from_toml(
            '[fields."child.name"]\ntype = "text"\nlabel = { zh = "姓名", en = "Name" }\n'
        )
        self.assertTrue(inline.has_field("child.name"))
        m = Manifest("health", "卫健委", "Health Commission", "1.0.0").step(
            StepSpec("s", "t", "T").reads("child.nmae", "p", "p")
        )
        self.assertEqual(
            testkit.manifest_faults_against(m, inline),
            ["step s: reads child.nmae, which is not in the data dictionary (did you mean `child.name`?)"],
        )
        self.assertEqual(inline.did_you_mean_field("enterprise.uscc"), "")
        with self.assertRaisesRegex(FileNotFoundError, "cannot read the dictionary /nonexistent"):
            testkit.dictionary_from("/nonexistent/dictionary.toml")
        with self.assertRaisesRegex(ValueError, "not TOML"):
            testkit.dictionary_from_toml("[fields")
