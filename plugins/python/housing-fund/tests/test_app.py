"""The housing fund department's unit tests on the SDK's test kit, the
Rust department's tests ported. From this directory:

    ../../../target/guests/venv/bin/python -m unittest discover -s tests
"""

import sys
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
for path in (HERE, HERE.parent.parent.parent / "sdk" / "python" / "src"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from onething_sdk import StepError, testkit  # noqa: E402

from housing_fund import BASE_URL, STEP, HousingFund  # noqa: E402

ACCOUNTS = "http://systems.test/housing-fund/v1/employer-accounts"


def valid():
    # A trailing slash is tolerated.
    testkit.config(BASE_URL, "http://systems.test/housing-fund/v1/")
    return (
        testkit.request(STEP)
        .field("enterprise.uscc", "91350206MA2Y3K5P9T")
        .field("enterprise.name", "厦门鹭岛茶业有限公司")
        .field("enterprise.employee_count", 8)
    )


def account(outcome):
    return outcome.approval.text("housing_fund.employer_account_number") if outcome.approval else None


class HousingFundTest(testkit.TestCase):
    def test_manifest_is_sound_against_the_dictionary(self):
        manifest = HousingFund().describe()
        testkit.assert_manifest_sound(manifest)
        self.assertEqual((manifest.department, manifest.version), ("housing-fund", "1.0.0"))
        step = manifest.find_step(STEP)
        self.assertEqual(step.limit_minutes, 480)
        self.assertEqual(step.write_keys, ["housing_fund.employer_account_number"])

    def test_opens_the_account_the_system_numbers(self):
        with testkit.http.guard():
            testkit.http.expect("POST", ACCOUNTS).json(201, {"account_number": "HF000000000001"})
            first = testkit.handle(HousingFund, valid().build())
        self.assertEqual(account(first), "HF000000000001")
        approval = first.approval
        self.assertEqual(
            [(d.kind, d.number) for d in approval.documents],
            [("housing-fund-registration", "HF000000000001")],
        )
        self.assertIn("15th of each month", approval.note_text.en)
        sent = testkit.http.requests()[0]
        self.assertEqual(sent.header("idempotency-key"), "app-test/employer-account")
        self.assertEqual(sent.json(), {"uscc": "91350206MA2Y3K5P9T", "name": "厦门鹭岛茶业有限公司"})
        self.assertEqual(testkit.logs()[0].message, "employer account opened")

    def test_an_employer_with_an_account_keeps_it(self):
        with testkit.http.guard():
            testkit.http.expect("POST", ACCOUNTS).problem(409, "already-registered").member("number", "HF000000000009")
            outcome = testkit.handle(HousingFund, valid().attempt(2).build())
        self.assertEqual(account(outcome), "HF000000000009")

    def test_a_system_failing_is_transient_and_a_missing_base_url_permanent(self):
        with testkit.http.guard():
            testkit.http.expect("POST", ACCOUNTS).status(502)
            testkit.http.expect("POST", ACCOUNTS).fail("timeout")
            for _ in range(2):
                with self.assertRaises(StepError) as caught:
                    testkit.handle(HousingFund, valid().build())
                self.assertTrue(caught.exception.is_transient)
        request = valid().build()
        testkit.unset_config(BASE_URL)
        with self.assertRaises(StepError) as missing:
            testkit.handle(HousingFund, request)
        self.assertFalse(missing.exception.is_transient)
        self.assertIn("`base_url`", missing.exception.message)
        self.assertIn("housing-fund", missing.exception.message)

    def test_an_unexpected_answer_is_permanent(self):
        testkit.http.expect("POST", ACCOUNTS).json(201, {"number": "HF1"})
        with self.assertRaises(StepError) as caught:
            testkit.handle(HousingFund, valid().build())
        self.assertFalse(caught.exception.is_transient)
        self.assertIn("missing field `account_number`", caught.exception.message)

    def test_needs_employees(self):
        outcome = testkit.handle(HousingFund, valid().field("enterprise.employee_count", 0).build())
        self.assertTrue(outcome.has_field_problem("enterprise.employee_count", "no-employees"))
        self.assertEqual(testkit.http.requests(), [])
        self.assertEqual(testkit.check(HousingFund, testkit.request("x").build())[0].code, "unknown-step")
        with self.assertRaises(StepError) as unknown:
            HousingFund().handle(testkit.request("x").build())
        self.assertEqual(unknown.exception, StepError.permanent("unknown step x"))

    def test_an_enterprise_registered_elsewhere_is_sent_to_its_own_centre(self):
        outcome = testkit.handle(HousingFund, valid().field("enterprise.uscc", "91110108MA01ABCD1E").build())
        self.assertEqual([p.code for p in outcome.problems], ["not-local"])
        self.assertEqual(testkit.http.requests(), [])

    def test_checks_a_draft_before_the_credit_code_is_issued(self):
        draft = valid().without("enterprise.uscc").without("enterprise.name").form()
        problems = testkit.check_draft(HousingFund, draft)
        self.assertEqual([(p.field_key, p.code) for p in problems], [("enterprise.name", "missing")])
        submitted = testkit.check(HousingFund, valid().without("enterprise.uscc").build())
        self.assertEqual([(p.field_key, p.code) for p in submitted], [])
        handled = testkit.handle(HousingFund, valid().without("enterprise.uscc").build())
        self.assertTrue(handled.has_field_problem("enterprise.uscc", "missing"))


if __name__ == "__main__":
    unittest.main()
