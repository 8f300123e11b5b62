"""The HTTP client against the test kit's mocks: what it sends, and how
every kind of failure maps to a transient or permanent StepError; its
URLs and the problem details it reads."""

import unittest

from onething_sdk import StepError, http, testkit
from onething_sdk.http import HttpError, Method, ProblemDetails, Timeouts, Url, path_segment

URL = "http://sys.test/tax/v1/registrations"


def step_error(call):
    try:
        call().error_for_status()
    except StepError as e:
        return e
    raise AssertionError("expected an error")


class Sending(testkit.TestCase):
    def test_sends_method_headers_body_and_idempotency_key(self):
        with testkit.http.guard():
            testkit.http.expect("POST", URL).json(201, {"taxpayer_number": "TX1"}).header(
                "Location", "/tax/v1/registrations/TX1"
            )
            response = (
                http.post_json(URL, {"uscc": "9135", "name": "厦门"})
                .idempotency_key("app-1/tax/tax-registration")
                .idempotency_key("app-1/tax/tax-registration")
                .header("X-Trace", "a")
                .header("x-trace", "b")
                .timeout(2)
                .send()
            )
        self.assertEqual(response.status, 201)
        self.assertTrue(response.is_success)
        self.assertEqual(response.url, URL)
        self.assertEqual(response.header("location"), "/tax/v1/registrations/TX1")
        self.assertEqual(response.header("Content-Type"), "application/json")
        self.assertEqual(len(response.headers), 2)
        self.assertEqual(response.json_member("taxpayer_number"), "TX1")
        self.assertIn("TX1", response.text())
        self.assertIsNone(response.problem(), "a 2xx carries no problem")
        sent = testkit.http.requests()[0]
        self.assertIs(sent.method, Method.POST)
        self.assertEqual(sent.header("Idempotency-Key"), "app-1/tax/tax-registration")
        self.assertEqual(len(sent.header_all("idempotency-key")), 1)
        self.assertEqual(sent.header_all("x-trace"), ["a", "b"])
        self.assertEqual(sent.header("content-type"), "application/json")
        self.assertEqual(sent.header("accept"), "application/json")
        self.assertEqual(sent.json(), {"uscc": "9135", "name": "厦门"})
        self.assertEqual(sent.body, '{"uscc":"9135","name":"厦门"}'.encode())
        self.assertEqual(sent.timeouts, Timeouts(2, 2, 2))

    def test_a_4xx_is_readable_before_it_becomes_permanent(self):
        testkit.http.expect(Method.POST, URL).problem(409, "already-registered").member("number", "TX000000000007")
        response = http.post(URL).send()
        self.assertEqual(response.status, 409)
        self.assertEqual(response.problem_member("already-registered", "number"), "TX000000000007")
        self.assertIsNone(response.problem_member("name-taken", "number"))
        self.assertEqual(response.problem().code, "already-registered")
        with self.assertRaises(HttpError) as caught:
            response.error_for_status()
        error = caught.exception
        self.assertEqual(error.status, 409)
        self.assertEqual(error.problem.code, "already-registered")
        self.assertFalse(error.is_transient)
        self.assertIsInstance(error, StepError)
        self.assertIn("POST http://sys.test/tax/v1/registrations answered 409 already-registered", error.message)
        testkit.http.verify()

    def test_failures_map_to_transient_or_permanent(self):
        transient = [
            lambda e: e.status(503),
            lambda e: e.status(502),
            lambda e: e.problem(429, "slow-down"),
            lambda e: e.fail("connection-refused"),
            lambda e: e.fail(testkit.http.Failure.TIMEOUT),
            lambda e: e.fail("unreachable"),
        ]
        permanent = [
            lambda e: e.problem(404, "unknown-person"),
            lambda e: e.problem(422, "not-local"),
            lambda e: e.status(400),
            lambda e: e.status(401),
            lambda e: e.fail("protocol"),
            lambda e: e.fail("denied"),
        ]
        for answers, expected in ((transient, True), (permanent, False)):
            for answer in answers:
                answer(testkit.http.expect("GET", URL))
                e = step_error(http.get(URL).send)
                self.assertEqual(e.is_transient, expected, repr(e))
        testkit.http.expect("GET", URL).fail("denied")
        denied = step_error(http.get(URL).send)
        self.assertIn("operator's outbound policy refused", denied.message)
        self.assertIn("HTTP-request-denied", denied.message)
        testkit.http.expect("GET", URL).fail("connection-refused")
        with self.assertRaises(HttpError) as refused:
            http.get(URL).send()
        self.assertEqual((refused.exception.http_kind, refused.exception.url), ("connection-refused", URL))
        testkit.http.expect("GET", URL).fail("timeout")
        with self.assertRaises(HttpError) as late:
            http.get(URL).send()
        self.assertEqual(late.exception.message, f"{URL}: timed out waiting for the answer")
        with self.assertRaisesRegex(ValueError, "not a failure"):
            testkit.http.expect("GET", URL).fail("slow")

    def test_bodies_are_bounded_and_json_is_checked(self):
        testkit.http.expect("GET", URL).body(200, "text/plain", b"x" * 101)
        with self.assertRaises(HttpError) as big:
            http.get(URL).max_body_bytes(100).send()
        self.assertEqual(big.exception.message, f"the answer of {URL} is over 100 bytes")
        testkit.http.expect("GET", URL).body(200, "text/plain", b"x" * 100)
        self.assertEqual(len(http.get(URL).max_body_bytes(100).send().body), 100)
        testkit.http.expect("GET", URL).body(200, "text/html", "<html>")
        with self.assertRaises(HttpError) as bad:
            http.get(URL).send_json()
        self.assertEqual((bad.exception.http_kind, bad.exception.status), ("json", 200))
        self.assertFalse(bad.exception.is_transient)
        testkit.http.expect("GET", URL).status(500)
        with self.assertRaises(HttpError) as down:
            http.get(URL).send_json()
        self.assertTrue(down.exception.is_transient)
        testkit.http.expect("GET", URL).json(200, {"other": 1})
        with self.assertRaises(HttpError) as shape:
            http.get(URL).send().json_member("account_number")
        self.assertIn("missing field `account_number`", shape.exception.message)
        testkit.http.expect("GET", URL).json(200, {"account_number": 7})
        with self.assertRaises(HttpError) as typed:
            http.get(URL).send().json_member("account_number")
        self.assertIn("field `account_number` is int, expected str", typed.exception.message)
        testkit.http.verify()

    def test_bad_urls_and_bodies_are_permanent_and_send_nothing(self):
        with self.assertRaises(HttpError) as no_scheme:
            http.get("/persons/1").send()
        self.assertEqual(no_scheme.exception.http_kind, "bad-url")
        self.assertEqual(
            no_scheme.exception.message, 'bad URL "/persons/1": it must start with http:// or https://'
        )
        self.assertFalse(no_scheme.exception.is_transient)
        with self.assertRaises(HttpError) as unencodable:
            http.post_json(URL, {"when": object()}).send()
        self.assertEqual(unencodable.exception.http_kind, "encode")
        self.assertEqual(testkit.http.requests(), [])
        self.assertEqual(str(Method.PATCH), "PATCH")
        self.assertIs(http.delete(URL).method, Method.DELETE)
        timed = (
            http.request("put", URL).connect_timeout(0.005).first_byte_timeout(0.006).between_bytes_timeout(0.007)
        )
        self.assertEqual(timed.timeouts, Timeouts(0.005, 0.006, 0.007))
        self.assertEqual(http.get(URL).timeouts, http.DEFAULT_TIMEOUTS)
        with self.assertRaisesRegex(ValueError, "not a method"):
            http.request("BREW", URL)

    def test_an_unexpected_request_fails_the_test_listing_what_was_expected(self):
        testkit.http.expect("POST", URL)
        with self.assertRaises(AssertionError) as caught:
            http.get("http://sys.test/other").send()
        self.assertEqual(
            str(caught.exception),
            "testkit.http: unexpected request GET http://sys.test/other; expected (not yet made): "
            "POST http://sys.test/tax/v1/registrations",
        )

    def test_an_unmet_expectation_fails_the_guard(self):
        with self.assertRaises(AssertionError) as caught:
            with testkit.http.guard():
                testkit.http.expect("GET", URL).status(200)
        self.assertEqual(
            str(caught.exception),
            "testkit.http: expected requests were not made:\n  - GET http://sys.test/tax/v1/registrations",
        )


class Urls(unittest.TestCase):
    def test_splits_urls(self):
        u = Url.parse("http://127.0.0.1:8090/household/v1/persons/1?x=1")
        self.assertFalse(u.is_https)
        self.assertEqual(u.authority, "127.0.0.1:8090")
        self.assertEqual(u.path_and_query, "/household/v1/persons/1?x=1")
        self.assertEqual(str(u), "http://127.0.0.1:8090/household/v1/persons/1?x=1")
        bare = Url.parse("HTTPS://tax.test")
        self.assertTrue(bare.is_https)
        self.assertEqual(bare.path_and_query, "/")
        self.assertEqual(Url.parse("https://h?q=1").path_and_query, "/?q=1")
        for bad in ("ftp://h/", "http:///x", "http://u:p@h/", "http://h/#f", "http://h/a b", "/persons/1"):
            with self.assertRaises(ValueError, msg=bad):
                Url.parse(bad)

    def test_encodes_path_segments(self):
        self.assertEqual(path_segment("厦门 A/B"), "%E5%8E%A6%E9%97%A8%20A%2FB")
        self.assertEqual(path_segment("350206198811230519"), "350206198811230519")
        self.assertEqual(path_segment("a-b.c_d~"), "a-b.c_d~")
        self.assertEqual(path_segment("?#%"), "%3F%23%25")


class Problems(unittest.TestCase):
    def test_reads_a_systems_problem(self):
        p = ProblemDetails.parse(
            b'{"type":"urn:onething:systems:name-taken","title":"name-taken","status":409,'
            b'"detail":"reserved","holder":"app-1"}'
        )
        self.assertEqual(p.code, "name-taken")
        self.assertEqual(p.text("holder"), "app-1")
        self.assertEqual(p.member("status"), 409)
        self.assertEqual(p.summary(), "name-taken: reserved")
        typed = ProblemDetails.parse(
            b'{"type":"https://x.test/probs/out-of-credit","title":"You do not have enough credit."}'
        )
        self.assertEqual(typed.code, "out-of-credit")
        self.assertEqual(typed.summary(), "out-of-credit")
        self.assertIsNone(ProblemDetails.parse(b"[1]"))
        self.assertIsNone(ProblemDetails.parse(b"<html>"))
        self.assertEqual(ProblemDetails.parse(b"{}").code, "")
