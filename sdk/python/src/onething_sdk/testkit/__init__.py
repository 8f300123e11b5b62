"""The test kit: run a department natively with the standard library's
``unittest``, no host and no Wasm needed.

Natively the SDK's :mod:`~onething_sdk.log`, :mod:`~onething_sdk.clock`,
:mod:`~onething_sdk.store`, :mod:`~onething_sdk.config` and
:mod:`~onething_sdk.http` talk to stand-ins (one set per thread) that
this module controls: pin today's date, seed and inspect the store, make
it fail, read the log, set configuration values and secrets, and answer
HTTP requests from mocks (:mod:`onething_sdk.testkit.http`).
:func:`handle`, :func:`check` and :func:`prefill` call a department the
way the host would: only declared fields go in, and an approval writing
an undeclared field fails the test. Derive tests from :class:`TestCase`
(or call :func:`reset` in ``setUp``) so each test starts empty::

    class HousingFundTest(testkit.TestCase):
        def test_opens_an_account(self):
            testkit.config("base_url", "http://systems.test/housing-fund/v1")
            testkit.http.expect("POST", ".../employer-accounts").json(201, {"account_number": "HF1"})
            outcome = testkit.handle(HousingFund, testkit.request("employer-account")
                                     .field("enterprise.uscc", "91350206MA2Y3K5P9T").build())

Never used inside a component.
"""

from __future__ import annotations

import unittest
from typing import Any, List, Optional, Tuple

from .. import _native, hash
from ..calls import Draft, Request
from ..date import Date
from ..department import DepartmentLike, call_check, call_describe, call_handle, call_prefill
from ..log import LogRecord
from ..manifest import Manifest
from ..outcome import Outcome
from ..problems import Problem
from ..store import StoreError
from ..values import Field, Material, Value
from . import http
from .dictionary import (
    DICTIONARY_ENV,
    Dictionary,
    assert_manifest_sound,
    dictionary,
    dictionary_from,
    dictionary_from_toml,
    manifest_faults,
    manifest_faults_against,
)

__all__ = [
    "DICTIONARY_ENV", "Dictionary", "RequestBuilder", "TestCase", "assert_manifest_sound", "check",
    "check_draft", "config", "date", "dictionary", "dictionary_from", "dictionary_from_toml",
    "fail_store", "handle", "http", "logs", "manifest_faults", "manifest_faults_against", "pin_now",
    "pin_today", "prefill", "request", "reset", "secret", "seed", "stored", "stored_keys",
    "stored_text", "undeclared_writes", "unset_config",
]


def reset() -> None:
    """Forget this thread's store, log, pinned date and time, store failure,
    configuration, secrets and HTTP mocks."""
    _native.reset()


class TestCase(unittest.TestCase):
    """A ``unittest.TestCase`` that starts every test with :func:`reset`."""

    def setUp(self) -> None:
        super().setUp()
        reset()


def date(text: str) -> Date:
    """Parse ``YYYY-MM-DD``, failing the test on a bad date."""
    d = Date.parse(text)
    if d is None:
        raise ValueError(f"testkit.date: {text!r} is not a YYYY-MM-DD date")
    return d


def pin_today(today: "Date | str") -> None:
    """Make :func:`onething_sdk.clock.today` answer ``today``."""
    _native.state().today = date(today) if isinstance(today, str) else today


def pin_now(seconds: int) -> None:
    """Make :func:`onething_sdk.clock.now` answer ``seconds``."""
    _native.state().now = seconds


def seed(key: str, value: "bytes | str") -> None:
    """Put ``value`` under ``key`` in the store."""
    _native.state().store[key] = value.encode("utf-8") if isinstance(value, str) else bytes(value)


def stored(key: str) -> Optional[bytes]:
    """The value under ``key`` in the store."""
    return _native.state().store.get(key)


def stored_text(key: str) -> Optional[str]:
    """The value under ``key`` as text."""
    value = stored(key)
    return value.decode("utf-8", errors="replace") if value is not None else None


def stored_keys() -> List[str]:
    """Every key in the store, sorted."""
    return sorted(_native.state().store)


def fail_store(error: Optional[StoreError]) -> None:
    """Make every store call raise ``error`` (or succeed again with ``None``):
    ``fail_store(StoreError.unavailable("down"))``."""
    if error is not None and not isinstance(error, StoreError):
        raise TypeError("fail_store takes a StoreError (StoreError.unavailable(...)) or None")
    _native.state().store_failure = error


def config(key: str, value: str) -> None:
    """Set the configuration value ``key`` (what :func:`onething_sdk.config.get` reads)."""
    _native.state().config[key] = value


def unset_config(key: str) -> None:
    """Remove the configuration value ``key``."""
    _native.state().config.pop(key, None)


def secret(name: str, value: str) -> None:
    """Give the department the secret ``name``."""
    _native.state().secrets[name] = value


def logs() -> List[LogRecord]:
    """Every record logged so far."""
    return list(_native.state().logs)


class RequestBuilder:
    """Builds a :class:`Request` (see :func:`request`); every method but
    the readers returns the builder, to chain."""

    def __init__(self, step: str) -> None:
        self.step = step
        self._application = "app-test"
        self._key = f"app-test/{step}"
        self._attempt = 1
        self._fields: List[Field] = []
        self._materials: List[Material] = []

    def field(self, key: str, value: Any) -> "RequestBuilder":
        """Set a field (any value :meth:`Value.of` takes), replacing an
        earlier value under the same key."""
        self._fields = [f for f in self._fields if f.key != key] + [Field(key, Value.of(value))]
        return self

    def without(self, key: str) -> "RequestBuilder":
        """Remove a field."""
        self._fields = [f for f in self._fields if f.key != key]
        return self

    def material(self, code: str) -> "RequestBuilder":
        """Supply a material (a PDF with a digest derived from its code)."""
        digest = "sha256:" + hash.digits([code], 64).replace("8", "a").replace("9", "a")
        self._materials = [m for m in self._materials if m.code != code] + [
            Material(code, digest, "application/pdf", 1024)
        ]
        return self

    def attempt(self, attempt: int) -> "RequestBuilder":
        """Set the attempt number."""
        self._attempt = attempt
        return self

    def idempotency_key(self, key: str) -> "RequestBuilder":
        """Set the idempotency key."""
        self._key = key
        return self

    def application(self, id: str) -> "RequestBuilder":
        """Set the application id (and the idempotency key to ``<id>/<step>``)."""
        self._application = id
        self._key = f"{id}/{self.step}"
        return self

    def fields(self) -> List[Field]:
        """The fields so far."""
        return list(self._fields)

    def materials(self) -> List[Material]:
        """The materials so far."""
        return list(self._materials)

    def draft(self) -> Draft:
        """The same as a draft of the request's application (what ``check``
        gets for a submission)."""
        return Draft(self._application, self.step, self._fields, self._materials)

    def form(self) -> Draft:
        """The same as a draft belonging to no application yet (a form
        checked before it is submitted)."""
        return Draft(None, self.step, self._fields, self._materials)

    def build(self) -> Request:
        """The request."""
        return Request(
            self._application, self.step, self._key, self._attempt, self._fields, self._materials
        )


def request(step: str) -> RequestBuilder:
    """Start building a request for ``step``: application ``app-test``,
    idempotency key ``app-test/<step>``, attempt 1, no fields."""
    return RequestBuilder(step)


def _filter(manifest: Manifest, step: str, fields, materials) -> Tuple[List[Field], List[Material]]:
    """Only the fields and materials ``step`` declared, as the host passes."""
    spec = manifest.find_step(step)
    if spec is None:
        return list(fields), list(materials)
    return (
        [f for f in fields if spec.reads_key(f.key)],
        [m for m in materials if spec.needs_material(m.code)],
    )


def undeclared_writes(manifest: Manifest, step: str, outcome: Outcome) -> List[str]:
    """The keys an approval of ``step`` writes that the step did not declare."""
    approval = outcome.approval
    if approval is None:
        return []
    spec = manifest.find_step(step)
    return [f.key for f in approval.fields if spec is None or not spec.writes_key(f.key)]


def handle(department: DepartmentLike, request: Request) -> Outcome:
    """Call the department's ``handle`` as the host would: only the fields
    and materials the step declared are passed, and an approval writing a
    field the step did not declare fails the test (``AssertionError``). A
    :class:`StepError` is raised as the department raised it."""
    manifest = call_describe(department)
    fields, materials = _filter(manifest, request.step, request.fields, request.materials)
    outcome = call_handle(
        department,
        Request(request.application, request.step, request.idempotency_key, request.attempt, fields, materials),
    )
    undeclared = undeclared_writes(manifest, request.step, outcome)
    if undeclared:
        raise AssertionError(f"step {request.step} wrote undeclared fields: {undeclared}")
    return outcome


def check_draft(department: DepartmentLike, draft: Draft) -> List[Problem]:
    """Call ``check`` with ``draft``, keeping only its declared fields and
    materials as the host does."""
    manifest = call_describe(department)
    fields, materials = _filter(manifest, draft.step, draft.fields, draft.materials)
    return call_check(department, Draft(draft.application, draft.step, fields, materials))


def check(department: DepartmentLike, subject: "Request | Draft | RequestBuilder") -> List[Problem]:
    """Call ``check`` as the host would for a submission: with a draft of
    the request's application (a :class:`Draft` is passed as it is, a
    builder's :meth:`RequestBuilder.draft` taken)."""
    if isinstance(subject, RequestBuilder):
        subject = subject.draft()
    if isinstance(subject, Request):
        subject = Draft(subject.application, subject.step, subject.fields, subject.materials)
    return check_draft(department, subject)


def prefill(department: DepartmentLike, request: Request) -> List[Field]:
    """Call ``prefill`` for the request's step with its declared fields (a
    draft of the request's application, no materials)."""
    manifest = call_describe(department)
    fields, _ = _filter(manifest, request.step, request.fields, [])
    return call_prefill(department, Draft(request.application, request.step, fields, []))
