"""HTTP mocks for native tests: natively, :mod:`onething_sdk.http` sends
nothing over the network; every request goes to the expectations set
here (on this thread) and is recorded::

    url = "http://systems.test/housing-fund/v1/employer-accounts"
    testkit.http.expect("POST", url).json(201, {"account_number": "HF000000000001"})
    testkit.http.expect("POST", url).problem(409, "already-registered").member("number", "HF9")
    testkit.http.expect("POST", url).status(502)
    testkit.http.expect("POST", url).fail("timeout")
    ...
    testkit.http.verify()            # every expectation met
    testkit.http.requests()[0].json()

Expectations are matched in the order set, each answering one request
with the same method and URL (query included). A request no expectation
is left for fails the test (``AssertionError``), listing what was
expected; :func:`verify` (or leaving a ``with guard():`` block) fails it
if an expectation was not met. :func:`onething_sdk.testkit.reset` forgets
them all.
"""

from __future__ import annotations

import enum
import json
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, List, Optional, Tuple

from .. import _native
from ..http.client import Failure as _Sent
from ..http.client import Incoming, Method, Outgoing, Timeouts


class Failure(str, enum.Enum):
    """A failure a mock can answer with instead of a response."""

    #: Nothing listens: the system is down (transient).
    CONNECTION_REFUSED = "connection-refused"
    #: No answer in time (transient).
    TIMEOUT = "timeout"
    #: The host could not reach the system (transient).
    UNREACHABLE = "unreachable"
    #: The operator's outbound policy denied the request (permanent).
    DENIED = "denied"
    #: The answer broke the protocol (permanent).
    PROTOCOL = "protocol"


@dataclass
class _Answer:
    status: int = 200
    headers: Optional[List[Tuple[str, str]]] = None
    body: bytes = b""
    failure: Optional[Failure] = None


@dataclass
class _Expectation:
    method: Method
    url: str
    answer: _Answer
    met: bool = False


@dataclass(frozen=True)
class Recorded:
    """One request the department made: method, URL, headers (names in
    lowercase), body and the timeouts it asked for."""

    method: Method
    url: str
    headers: List[Tuple[str, str]]
    body: bytes
    timeouts: Timeouts

    def header(self, name: str) -> Optional[str]:
        """The first header named ``name`` (case-insensitive)."""
        name = name.lower()
        return next((v for n, v in self.headers if n.lower() == name), None)

    def header_all(self, name: str) -> List[str]:
        """Every header named ``name``, in order."""
        name = name.lower()
        return [v for n, v in self.headers if n.lower() == name]

    def json(self) -> Any:
        """The body decoded as JSON; fails the test when it is not."""
        try:
            return json.loads(self.body)
        except ValueError as e:
            raise AssertionError(
                f"testkit.http: the body of {self.method} {self.url} is not JSON: {e}"
            ) from None


def expect(method: "Method | str", url: str) -> "Expect":
    """Expect one ``method`` request of ``url`` (exactly as sent). It
    answers 200 with no body unless told otherwise by the returned
    :class:`Expect`."""
    s = _native.state()
    s.http_expected.append(_Expectation(Method.of(method), url, _Answer(headers=[])))
    return Expect(s.http_expected[-1])


class Expect:
    """Sets what one expected request is answered (see :func:`expect`);
    every method returns the expectation, to chain."""

    def __init__(self, expectation: _Expectation) -> None:
        self._e = expectation

    def _respond(self, status: int, content_type: Optional[str], body: bytes) -> "Expect":
        a = self._e.answer
        headers = [(n, v) for n, v in (a.headers or []) if n != "content-type"]
        if content_type is not None:
            headers.append(("content-type", content_type))
        self._e.answer = _Answer(status, headers, body)
        return self

    def status(self, status: int) -> "Expect":
        """Answer ``status`` with no body."""
        return self._respond(status, None, b"")

    def json(self, status: int, body: Any) -> "Expect":
        """Answer ``status`` with ``body`` as JSON."""
        return self._respond(status, "application/json", json.dumps(body, ensure_ascii=False).encode("utf-8"))

    def problem(self, status: int, code: str) -> "Expect":
        """Answer ``status`` with a problem+json body as the departments'
        systems give it: ``type`` ``urn:onething:systems:<code>``, ``title``
        ``<code>``, ``status``, ``detail``. Add members with :meth:`member`."""
        body = {
            "type": f"urn:onething:systems:{code}",
            "title": code,
            "status": status,
            "detail": f"{code} (a test kit mock)",
        }
        return self._respond(status, "application/problem+json", json.dumps(body).encode("utf-8"))

    def member(self, name: str, value: Any) -> "Expect":
        """Add a member to the JSON object the mock answers (after
        :meth:`json` with an object, or :meth:`problem`)."""
        a = self._e.answer
        try:
            obj = json.loads(a.body)
        except ValueError:
            obj = None
        if not isinstance(obj, dict):
            raise AssertionError("testkit.http: member() needs a JSON object answer: json(status, {...}) or problem()")
        obj[name] = value
        a.body = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        return self

    def body(self, status: int, content_type: str, data: "bytes | str") -> "Expect":
        """Answer ``status`` with a body of any media type."""
        return self._respond(status, content_type, data.encode("utf-8") if isinstance(data, str) else bytes(data))

    def header(self, name: str, value: str) -> "Expect":
        """Add a header to the answer."""
        a = self._e.answer
        a.headers = (a.headers or []) + [(name.lower(), value)]
        return self

    def fail(self, failure: "Failure | str") -> "Expect":
        """Answer with a failure instead of a response: ``timeout``,
        ``connection-refused``, ``unreachable``, ``denied`` or ``protocol``."""
        try:
            f = Failure(failure)
        except ValueError:
            raise ValueError(
                f"{failure!r} is not a failure: one of {', '.join(x.value for x in Failure)}"
            ) from None
        self._e.answer = _Answer(failure=f)
        return self


def requests() -> List[Recorded]:
    """Every request made on this thread so far, in order."""
    return list(_native.state().http_recorded)


def pending() -> List[str]:
    """The expectations not met yet, as ``METHOD URL``."""
    return [f"{e.method} {e.url}" for e in _native.state().http_expected if not e.met]


def verify() -> None:
    """Fail the test unless every expectation was met."""
    left = pending()
    if left:
        raise AssertionError("testkit.http: expected requests were not made:\n  - " + "\n  - ".join(left))


@contextmanager
def guard() -> Iterator[None]:
    """``with testkit.http.guard(): ...`` verifies when the block ends
    (unless it is already failing)."""
    yield
    verify()


def answer(o: Outgoing) -> Incoming:
    """The transport of :mod:`onething_sdk.http` natively: record the request
    and answer it from the first unmet expectation with its method and URL."""
    s = _native.state()
    url = str(o.url)
    s.http_recorded.append(Recorded(o.method, url, list(o.headers), o.body, o.timeouts))
    found = next((e for e in s.http_expected if not e.met and e.method == o.method and e.url == url), None)
    if found is None:
        left = pending()
        raise AssertionError(
            f"testkit.http: unexpected request {o.method} {url}; expected (not yet made): "
            + (", ".join(left) if left else "nothing")
        )
    found.met = True
    a = found.answer
    if a.failure is Failure.CONNECTION_REFUSED:
        raise _Sent("refused")
    if a.failure is Failure.TIMEOUT:
        raise _Sent("timeout", "waiting for the answer")
    if a.failure is Failure.UNREACHABLE:
        raise _Sent("unreachable", "DestinationUnavailable")
    if a.failure is Failure.DENIED:
        raise _Sent("denied")
    if a.failure is Failure.PROTOCOL:
        raise _Sent("protocol", "HttpProtocolError")
    if len(a.body) > o.max_body:
        raise _Sent("too-large")
    return Incoming(a.status, list(a.headers or []), a.body)
