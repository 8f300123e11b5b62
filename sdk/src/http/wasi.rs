//! The client's transport in a component: one request through
//! `wasi:http/outgoing-handler`, its body written in chunks, the answer
//! read whole up to the size bound, and wasi:http's error codes sorted
//! into the client's [`Failure`]s.
//!
//! Not compiled natively: there the test kit answers instead.

use crate::bindings::wasi::http::outgoing_handler;
use crate::bindings::wasi::http::types::{
    ErrorCode, Fields, IncomingResponse, Method as WasiMethod, OutgoingBody, OutgoingRequest,
    RequestOptions, Scheme,
};
use crate::bindings::wasi::io::streams::StreamError;

use super::{Failure, Incoming, Method, Outgoing};

/// What `blocking-write-and-flush` takes at most per call.
const WRITE_CHUNK: usize = 4096;

/// What one read asks for.
const READ_CHUNK: u64 = 64 * 1024;

pub(crate) fn send(o: &Outgoing) -> Result<Incoming, Failure> {
    let entries: Vec<(String, Vec<u8>)> = o
        .headers
        .iter()
        .map(|(n, v)| (n.clone(), v.as_bytes().to_vec()))
        .collect();
    let headers = Fields::from_list(&entries)
        .map_err(|e| Failure::Protocol(format!("a header was refused: {e:?}")))?;
    let request = OutgoingRequest::new(headers);
    let method = match o.method {
        Method::Get => WasiMethod::Get,
        Method::Head => WasiMethod::Head,
        Method::Post => WasiMethod::Post,
        Method::Put => WasiMethod::Put,
        Method::Patch => WasiMethod::Patch,
        Method::Delete => WasiMethod::Delete,
    };
    let scheme = if o.url.is_https() {
        Scheme::Https
    } else {
        Scheme::Http
    };
    let bad = |what: &str| Failure::Protocol(format!("the {what} was refused"));
    request.set_method(&method).map_err(|()| bad("method"))?;
    request
        .set_scheme(Some(&scheme))
        .map_err(|()| bad("scheme"))?;
    request
        .set_authority(Some(o.url.authority()))
        .map_err(|()| bad("authority"))?;
    request
        .set_path_with_query(Some(o.url.path_and_query()))
        .map_err(|()| bad("path"))?;
    let body = request.body().map_err(|()| bad("body"))?;

    let options = RequestOptions::new();
    let nanos = |d: std::time::Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    // A host that does not support one of these keeps its own: not a fault.
    if let Some(d) = o.timeouts.connect {
        let _ = options.set_connect_timeout(Some(nanos(d)));
    }
    if let Some(d) = o.timeouts.first_byte {
        let _ = options.set_first_byte_timeout(Some(nanos(d)));
    }
    if let Some(d) = o.timeouts.between_bytes {
        let _ = options.set_between_bytes_timeout(Some(nanos(d)));
    }

    let future = outgoing_handler::handle(request, Some(options)).map_err(failure)?;
    {
        let stream = body.write().map_err(|()| bad("body stream"))?;
        for chunk in o.body.chunks(WRITE_CHUNK) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(stream_failure)?;
        }
    }
    OutgoingBody::finish(body, None).map_err(failure)?;

    future.subscribe().block();
    let response = match future.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(code))) => return Err(failure(code)),
        Some(Err(())) | None => return Err(Failure::Protocol("no answer".into())),
    };
    read(&response, o.max_body)
}

fn read(response: &IncomingResponse, max_body: usize) -> Result<Incoming, Failure> {
    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(n, v)| {
            (
                n.to_ascii_lowercase(),
                String::from_utf8_lossy(&v).into_owned(),
            )
        })
        .collect();
    let incoming = response
        .consume()
        .map_err(|()| Failure::Protocol("the answer's body was taken".into()))?;
    let mut body = Vec::new();
    {
        let stream = incoming
            .stream()
            .map_err(|()| Failure::Protocol("the answer's body stream was taken".into()))?;
        loop {
            match stream.blocking_read(READ_CHUNK) {
                Ok(chunk) => {
                    if body.len() + chunk.len() > max_body {
                        return Err(Failure::TooLarge);
                    }
                    body.extend_from_slice(&chunk);
                }
                Err(StreamError::Closed) => break,
                Err(e) => return Err(stream_failure(e)),
            }
        }
    }
    drop(incoming);
    Ok(Incoming {
        status,
        headers,
        body,
    })
}

fn stream_failure(e: StreamError) -> Failure {
    match e {
        StreamError::Closed => Failure::Unreachable("the connection closed".into()),
        StreamError::LastOperationFailed(error) => {
            match crate::bindings::wasi::http::types::http_error_code(&error) {
                Some(code) => failure(code),
                None => Failure::Unreachable(error.to_debug_string()),
            }
        }
    }
}

/// wasi:http's error code as the client's failure.
fn failure(code: ErrorCode) -> Failure {
    match code {
        ErrorCode::HttpRequestDenied | ErrorCode::DestinationIpProhibited => Failure::Denied,
        ErrorCode::ConnectionRefused => Failure::Refused,
        ErrorCode::DnsTimeout => Failure::Timeout("resolving the host"),
        ErrorCode::ConnectionTimeout => Failure::Timeout("connecting"),
        ErrorCode::ConnectionReadTimeout => Failure::Timeout("reading the answer"),
        ErrorCode::ConnectionWriteTimeout => Failure::Timeout("writing the request"),
        ErrorCode::HttpResponseTimeout => Failure::Timeout("waiting for the answer"),
        ErrorCode::HttpResponseBodySize(_) => Failure::TooLarge,
        code @ (ErrorCode::DnsError(_)
        | ErrorCode::DestinationNotFound
        | ErrorCode::DestinationUnavailable
        | ErrorCode::DestinationIpUnroutable
        | ErrorCode::ConnectionTerminated
        | ErrorCode::ConnectionLimitReached
        | ErrorCode::HttpResponseIncomplete
        | ErrorCode::InternalError(_)) => Failure::Unreachable(format!("{code:?}")),
        other => Failure::Protocol(format!("{other:?}")),
    }
}
