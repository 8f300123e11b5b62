"""The client itself: build a request (:func:`get`, :func:`post_json`, …),
:meth:`~RequestBuilder.send` it, read the :class:`Response`, and let
failures out as :class:`HttpError`, a :class:`StepError` that is
transient or permanent as the Rust SDK's is.

Transient (the host retries): a refused connection, a timeout, an
unreachable system, a 5xx or a 429. Permanent: any other 4xx, a request
the operator's outbound policy denied (``HTTP-request-denied``), an
answer over the size bound, one that is not the JSON expected, a bad URL
or body. :meth:`RequestBuilder.send` returns every answer the system gave,
4xx and 5xx included, so a step can read a business answer (409
``already-registered``) before calling :meth:`Response.error_for_status`.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, replace
from typing import Any, List, Optional, Tuple

from .. import _backend
from .._rustlike import debug_str
from ..problems import StepError
from .problem import ProblemDetails
from .url import Url

#: The body size read from an answer unless told otherwise: 1 MiB.
DEFAULT_MAX_BODY_BYTES = 1 << 20


class Method(str, enum.Enum):
    """An HTTP method."""

    GET = "GET"
    HEAD = "HEAD"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"

    @staticmethod
    def of(method: "Method | str") -> "Method":
        """A method from its name, any case."""
        try:
            return Method(method.upper() if isinstance(method, str) else method)
        except ValueError:
            raise ValueError(
                f"{method!r} is not a method the client sends: GET, HEAD, POST, PUT, PATCH or DELETE"
            ) from None

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Timeouts:
    """How long a request may take, in seconds, as wasi:http's request
    options: to connect, to the answer's first byte, between two bytes of
    it. ``None`` leaves it to the host."""

    connect: Optional[float]
    first_byte: Optional[float]
    between_bytes: Optional[float]


#: 5 s to connect, 10 s to the first byte, 10 s between bytes.
DEFAULT_TIMEOUTS = Timeouts(5.0, 10.0, 10.0)


@dataclass(frozen=True)
class Outgoing:
    """What a transport is asked to send (wasi:http's, or the test kit's)."""

    method: Method
    url: Url
    headers: List[Tuple[str, str]]
    body: bytes
    timeouts: Timeouts
    max_body: int


@dataclass(frozen=True)
class Incoming:
    """What came back."""

    status: int
    headers: List[Tuple[str, str]]
    body: bytes


class Failure(Exception):
    """Why a transport got no answer: ``kind`` is ``denied``, ``refused``,
    ``timeout`` (``detail`` says which), ``unreachable``, ``protocol``
    (``detail`` the wasi:http code) or ``too-large``."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


class HttpError(StepError):
    """A request that got no answer the department can use. ``kind`` is one
    of ``bad-url``, ``encode``, ``denied``, ``connection-refused``,
    ``timeout``, ``unreachable``, ``protocol``, ``too-large``, ``json``,
    ``status``; ``url``, ``status`` and ``problem`` say more where known.
    Transient or permanent as the module says."""

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        url: str = "",
        status: Optional[int] = None,
        problem: Optional[ProblemDetails] = None,
        method: Optional[Method] = None,
    ) -> None:
        transient = kind in ("connection-refused", "timeout", "unreachable") or (
            kind == "status" and status is not None and (status >= 500 or status == 429)
        )
        super().__init__(message, transient=transient)
        self.http_kind = kind
        self.url = url
        self.status = status
        self.problem = problem
        self.method = method

    def __repr__(self) -> str:
        return f"HttpError({self.http_kind!r}, {self.message!r})"


def _failure_error(f: Failure, o: Outgoing) -> HttpError:
    url = str(o.url)
    if f.kind == "denied":
        return HttpError(
            "denied",
            f"the operator's outbound policy refused the request to {url} (HTTP-request-denied): "
            "the department is not allowed that origin",
            url=url,
        )
    if f.kind == "refused":
        return HttpError("connection-refused", f"connection to {url} refused", url=url)
    if f.kind == "timeout":
        return HttpError("timeout", f"{url}: timed out {f.detail}", url=url)
    if f.kind == "unreachable":
        return HttpError("unreachable", f"{url} could not be reached: {f.detail}", url=url)
    if f.kind == "too-large":
        return HttpError("too-large", f"the answer of {url} is over {o.max_body} bytes", url=url)
    return HttpError("protocol", f"request to {url} failed: {f.detail}", url=url)


def _strict_json(body: bytes) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(body, parse_constant=refuse)


class Response:
    """A system's answer: status, headers (names in lowercase, in the order
    received), body."""

    def __init__(self, method: Method, url: str, status: int, headers: List[Tuple[str, str]], body: bytes) -> None:
        self.method = method
        self.url = url
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def is_success(self) -> bool:
        """Whether the status is 2xx."""
        return 200 <= self.status < 300

    def header(self, name: str) -> Optional[str]:
        """The first header named ``name`` (case-insensitive)."""
        name = name.lower()
        return next((v for n, v in self.headers if n.lower() == name), None)

    def text(self) -> str:
        """The body as text (invalid UTF-8 replaced)."""
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body decoded as JSON, or a permanent :class:`HttpError`
        (``json``): the system does not answer what the department expects."""
        try:
            return _strict_json(self.body)
        except (ValueError, UnicodeDecodeError) as e:
            raise self._json_error(str(e)) from None

    def json_member(self, name: str, kind: type = str) -> Any:
        """Member ``name`` of the JSON object the body is, of type ``kind``
        (``str`` unless told), or a permanent :class:`HttpError` (``json``)
        naming what is missing: ``response.json_member("account_number")``."""
        value = self.json()
        if not isinstance(value, dict):
            raise self._json_error(f"expected an object, found {type(value).__name__}")
        if name not in value:
            raise self._json_error(f"missing field `{name}`")
        member = value[name]
        if not isinstance(member, kind) or (kind is int and isinstance(member, bool)):
            raise self._json_error(f"field `{name}` is {type(member).__name__}, expected {kind.__name__}")
        return member

    def _json_error(self, message: str) -> HttpError:
        return HttpError(
            "json",
            f"the answer of {self.url} ({self.status}) is not the JSON expected: {message}",
            url=self.url,
            status=self.status,
        )

    def problem(self) -> Optional[ProblemDetails]:
        """The problem (``application/problem+json``, or any JSON object) a
        4xx or 5xx answer carries, if its body is one."""
        return None if self.is_success else ProblemDetails.parse(self.body)

    def problem_member(self, code: str, member: str) -> Optional[str]:
        """The text member ``member`` of the problem whose code is ``code``,
        if this answer is that problem (``problem_member("already-registered",
        "number")``)."""
        p = self.problem()
        return p.text(member) if p is not None and p.code == code else None

    def error_for_status(self) -> "Response":
        """This response if it is a 2xx; otherwise raise :meth:`into_error`."""
        if self.is_success:
            return self
        raise self.into_error()

    def into_error(self) -> HttpError:
        """This answer as an :class:`HttpError` (``status``: transient for a
        5xx or 429, permanent for another 4xx), with the problem it carried."""
        problem = ProblemDetails.parse(self.body)
        summary = f" {problem.summary()}" if problem is not None else ""
        return HttpError(
            "status",
            f"{self.method} {self.url} answered {self.status}{summary}",
            url=self.url,
            status=self.status,
            problem=problem,
            method=self.method,
        )

    def __repr__(self) -> str:
        return f"Response({self.method} {self.url} -> {self.status})"


class RequestBuilder:
    """A request being built (see :func:`get`, :func:`post_json`,
    :func:`request`); nothing is sent until :meth:`send`."""

    def __init__(self, method: "Method | str", url: str) -> None:
        self.method = Method.of(method)
        self.url = url
        self.headers: List[Tuple[str, str]] = [("accept", "application/json")]
        self.body_bytes = b""
        self.timeouts = DEFAULT_TIMEOUTS
        self.max_body = DEFAULT_MAX_BODY_BYTES
        self._fault: Optional[HttpError] = None

    def header(self, name: str, value: str) -> "RequestBuilder":
        """Add a header (names are case-insensitive; a header set twice is
        sent twice, except ``accept``, ``content-type`` and
        ``idempotency-key``, which replace)."""
        name = name.lower()
        if name in ("content-type", "idempotency-key", "accept"):
            self.headers = [(n, v) for n, v in self.headers if n != name]
        self.headers.append((name, str(value)))
        return self

    def idempotency_key(self, key: str) -> "RequestBuilder":
        """Send ``key`` as the ``Idempotency-Key`` (use the request's
        ``idempotency_key``, so a retried attempt issues nothing twice)."""
        return self.header("idempotency-key", key)

    def json(self, body: Any) -> "RequestBuilder":
        """The body as JSON, with ``Content-Type: application/json``."""
        try:
            encoded = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as e:
            self._fault = HttpError("encode", f"the request body does not encode as JSON: {e}")
            return self
        return self.body("application/json", encoded.encode("utf-8"))

    def body(self, content_type: str, data: "bytes | str") -> "RequestBuilder":
        """A body of any media type."""
        self.body_bytes = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        return self.header("content-type", content_type)

    def timeout(self, seconds: float) -> "RequestBuilder":
        """Every timeout at once (connect, first byte, between bytes)."""
        self.timeouts = Timeouts(seconds, seconds, seconds)
        return self

    def connect_timeout(self, seconds: float) -> "RequestBuilder":
        """How long to wait for the connection."""
        self.timeouts = replace(self.timeouts, connect=seconds)
        return self

    def first_byte_timeout(self, seconds: float) -> "RequestBuilder":
        """How long to wait for the answer's first byte."""
        self.timeouts = replace(self.timeouts, first_byte=seconds)
        return self

    def between_bytes_timeout(self, seconds: float) -> "RequestBuilder":
        """How long to wait between two bytes of the answer."""
        self.timeouts = replace(self.timeouts, between_bytes=seconds)
        return self

    def max_body_bytes(self, limit: int) -> "RequestBuilder":
        """Read at most ``limit`` bytes of the answer's body; a longer one is
        an :class:`HttpError` (``too-large``)."""
        self.max_body = limit
        return self

    def send(self) -> Response:
        """Send the request and read the whole answer (within the size
        bound). Every status the system answered is returned; a request
        that got no answer raises :class:`HttpError`."""
        if self._fault is not None:
            raise self._fault
        try:
            url = Url.parse(self.url)
        except ValueError as e:
            raise HttpError("bad-url", f"bad URL {debug_str(self.url)}: {e}", url=self.url) from None
        outgoing = Outgoing(self.method, url, list(self.headers), self.body_bytes, self.timeouts, self.max_body)
        try:
            answer = _backend.host().http_send(outgoing)
        except Failure as f:
            raise _failure_error(f, outgoing) from None
        return Response(self.method, str(url), answer.status, list(answer.headers), answer.body)

    def send_json(self) -> Any:
        """Send, require a 2xx (:meth:`Response.error_for_status`) and decode
        the body as JSON."""
        return self.send().error_for_status().json()


def request(method: "Method | str", url: str) -> RequestBuilder:
    """Start a request with any method."""
    return RequestBuilder(method, url)


def get(url: str) -> RequestBuilder:
    """Start a GET of ``url``."""
    return RequestBuilder(Method.GET, url)


def post(url: str) -> RequestBuilder:
    """Start a POST to ``url`` with no body."""
    return RequestBuilder(Method.POST, url)


def post_json(url: str, body: Any) -> RequestBuilder:
    """Start a POST to ``url`` with ``body`` as JSON."""
    return post(url).json(body)


def delete(url: str) -> RequestBuilder:
    """Start a DELETE of ``url``."""
    return RequestBuilder(Method.DELETE, url)
