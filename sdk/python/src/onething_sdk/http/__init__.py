"""A small HTTP client for a department's own system, over the contract's
``wasi:http/outgoing-handler`` (contract 0.2.0)::

    response = (
        http.post_json(f"{base}/employer-accounts", {"uscc": uscc, "name": name})
        .idempotency_key(request.idempotency_key)
        .send()
    )
    number = response.problem_member("already-registered", "number")
    if number is None:
        number = response.error_for_status().json_member("account_number")

Failures are :class:`HttpError`, a :class:`~onething_sdk.StepError`:
transient for a refused connection, a timeout, an unreachable system, a
5xx or a 429; permanent otherwise (see :mod:`onething_sdk.http.client`).
Inside a component the request goes out synchronously through wasi:http;
natively to the test kit's mocks (:mod:`onething_sdk.testkit.http`),
never to the network. Never add a credential here: the operator has the
host inject each system's ``Authorization`` header.
"""

from .client import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_TIMEOUTS,
    Failure,
    HttpError,
    Incoming,
    Method,
    Outgoing,
    RequestBuilder,
    Response,
    Timeouts,
    delete,
    get,
    post,
    post_json,
    request,
)
from .problem import ProblemDetails
from .url import Url, path_segment

__all__ = [
    "DEFAULT_MAX_BODY_BYTES", "DEFAULT_TIMEOUTS", "Failure", "HttpError", "Incoming", "Method",
    "Outgoing", "ProblemDetails", "RequestBuilder", "Response", "Timeouts", "Url", "delete",
    "get", "path_segment", "post", "post_json", "request",
]
