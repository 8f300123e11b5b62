"""The client's transport inside a component: one request through
``wasi:http/outgoing-handler``, synchronously (exports are synchronous,
so no asyncio): ``handle`` gives a future, its body is written in chunks
and finished, the future's pollable is blocked on, and the answer's body
is read with ``blocking-read`` until the stream closes, up to the size
bound. wasi:http's error codes are sorted into the client's failures as
the Rust SDK sorts them. Every resource is dropped (``with``) before its
parent, as the component model requires.

Only imported inside a component: it needs the ``wit_world`` bindings
componentize-py generates at build time.
"""

from __future__ import annotations

from typing import List, Tuple

from componentize_py_types import Err, Ok
from wit_world.imports import outgoing_handler, streams
from wit_world.imports import wasi_http_types as t

from .client import Failure, Incoming, Method, Outgoing

#: What one ``blocking-write-and-flush`` is given at most.
WRITE_CHUNK = 4096
#: What one read asks for.
READ_CHUNK = 64 * 1024

_METHODS = {
    Method.GET: t.Method_Get(),
    Method.HEAD: t.Method_Head(),
    Method.POST: t.Method_Post(),
    Method.PUT: t.Method_Put(),
    Method.PATCH: t.Method_Patch(),
    Method.DELETE: t.Method_Delete(),
}

_TIMEOUTS = {
    t.ErrorCode_DnsTimeout: "resolving the host",
    t.ErrorCode_ConnectionTimeout: "connecting",
    t.ErrorCode_ConnectionReadTimeout: "reading the answer",
    t.ErrorCode_ConnectionWriteTimeout: "writing the request",
    t.ErrorCode_HttpResponseTimeout: "waiting for the answer",
}

_UNREACHABLE = (
    t.ErrorCode_DnsError,
    t.ErrorCode_DestinationNotFound,
    t.ErrorCode_DestinationUnavailable,
    t.ErrorCode_DestinationIpUnroutable,
    t.ErrorCode_ConnectionTerminated,
    t.ErrorCode_ConnectionLimitReached,
    t.ErrorCode_HttpResponseIncomplete,
    t.ErrorCode_InternalError,
)


def _name(code: object) -> str:
    """An error code as the Rust SDK's messages write it: ``ConnectionRefused``,
    ``InternalError(Some("…"))``."""
    name = type(code).__name__.removeprefix("ErrorCode_")
    if hasattr(code, "value"):
        return f"{name}({code.value!r})"
    return name


def failure(code: object) -> Failure:
    """wasi:http's error code as the client's failure."""
    if isinstance(code, (t.ErrorCode_HttpRequestDenied, t.ErrorCode_DestinationIpProhibited)):
        return Failure("denied")
    if isinstance(code, t.ErrorCode_ConnectionRefused):
        return Failure("refused")
    what = _TIMEOUTS.get(type(code))
    if what is not None:
        return Failure("timeout", what)
    if isinstance(code, t.ErrorCode_HttpResponseBodySize):
        return Failure("too-large")
    if isinstance(code, _UNREACHABLE):
        return Failure("unreachable", _name(code))
    return Failure("protocol", _name(code))


def _stream_failure(e: Err) -> Failure:
    error = e.value
    if isinstance(error, streams.StreamError_LastOperationFailed):
        code = t.http_error_code(error.value)
        return failure(code) if code is not None else Failure("unreachable", error.value.to_debug_string())
    return Failure("unreachable", "the connection closed")


def _refused(what: str) -> Failure:
    return Failure("protocol", f"the {what} was refused")


def send(o: Outgoing) -> Incoming:
    """Send ``o`` and read the whole answer; raises :class:`Failure`."""
    try:
        headers = t.Fields.from_list([(n, v.encode("utf-8")) for n, v in o.headers])
    except Err as e:
        raise Failure("protocol", f"a header was refused: {e.value!r}") from None
    request = t.OutgoingRequest(headers)
    for setter, value, what in (
        (request.set_method, _METHODS[o.method], "method"),
        (request.set_scheme, t.Scheme_Https() if o.url.is_https else t.Scheme_Http(), "scheme"),
        (request.set_authority, o.url.authority, "authority"),
        (request.set_path_with_query, o.url.path_and_query, "path"),
    ):
        try:
            setter(value)
        except Err:
            raise _refused(what) from None
    try:
        body = request.body()
    except Err:
        raise _refused("body") from None

    options = t.RequestOptions()
    for setter, seconds in (
        (options.set_connect_timeout, o.timeouts.connect),
        (options.set_first_byte_timeout, o.timeouts.first_byte),
        (options.set_between_bytes_timeout, o.timeouts.between_bytes),
    ):
        if seconds is not None:
            try:
                setter(int(seconds * 1_000_000_000))
            except Err:
                pass  # A host that does not support one keeps its own.

    try:
        future = outgoing_handler.handle(request, options)
    except Err as e:
        raise failure(e.value) from None
    with future:
        try:
            with body.write() as stream:
                for start in range(0, len(o.body), WRITE_CHUNK):
                    stream.blocking_write_and_flush(o.body[start : start + WRITE_CHUNK])
        except Err as e:
            raise _stream_failure(e) from None
        try:
            t.OutgoingBody.finish(body, None)
        except Err as e:
            raise failure(e.value) from None
        with future.subscribe() as ready:
            ready.block()
        answer = future.get()
        if not isinstance(answer, Ok):
            raise Failure("protocol", "no answer")
        if isinstance(answer.value, Err):
            raise failure(answer.value.value)
        with answer.value.value as response:
            return _read(response, o.max_body)


def _read(response: "t.IncomingResponse", max_body: int) -> Incoming:
    status = response.status()
    with response.headers() as fields:
        headers: List[Tuple[str, str]] = [
            (n.lower(), v.decode("utf-8", errors="replace")) for n, v in fields.entries()
        ]
    try:
        incoming = response.consume()
    except Err:
        raise Failure("protocol", "the answer's body was taken") from None
    chunks: List[bytes] = []
    size = 0
    with incoming:
        try:
            stream = incoming.stream()
        except Err:
            raise Failure("protocol", "the answer's body stream was taken") from None
        with stream:
            while True:
                try:
                    chunk = stream.blocking_read(READ_CHUNK)
                except Err as e:
                    if isinstance(e.value, streams.StreamError_Closed):
                        break
                    raise _stream_failure(e) from None
                size += len(chunk)
                if size > max_body:
                    raise Failure("too-large")
                chunks.append(chunk)
    return Incoming(status, headers, b"".join(chunks))
