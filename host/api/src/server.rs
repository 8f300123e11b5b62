//! The HTTP server under the router: hyper's HTTP/1.1 connections with
//! the limits a public service needs, and a shutdown that ends on time
//! whatever clients do.
//!
//! - **Header-read timeout** (`http.header_read_timeout_secs`): a client
//!   that does not finish sending a request head in time is disconnected.
//!   It also runs while a kept-alive connection waits for its next request,
//!   so idle connections are closed after the same time.
//! - **Idle timeout** (`http.idle_timeout_secs`): a connection on which
//!   nothing is read or written for that long is closed (a request body
//!   that stalls half-way, a client that stops reading). Live event streams
//!   send a keep-alive comment every 15 s, well inside it.
//! - **Connection cap** (`http.max_connections`): connections beyond it are
//!   answered `503` problem+json naming the setting and closed; beyond a
//!   further margin they are closed at once. Open connections are a gauge
//!   and refusals a counter on `/metrics`.
//! - **Shutdown**: when `shutdown` resolves, the listener closes, kept-alive
//!   connections are closed, requests under way may finish, and after
//!   `grace` every connection left is dropped. Event streams end first on
//!   their own (see [`crate::ApiState::closing`]).
//!
//! Not for routing or handlers (the rest of this crate).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use onething_engine::Metrics;
use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};
use tower::ServiceExt as _;

use crate::error::ApiError;

/// The server's connection limits (`[http]` in onething.toml).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSettings {
    /// Seconds a client has to send a whole request head (and a kept-alive
    /// connection may wait for its next request).
    pub header_read_timeout_secs: u64,
    /// Seconds a connection may go without reading or writing anything.
    pub idle_timeout_secs: u64,
    /// Connections open at once; more are answered 503 and closed.
    pub max_connections: usize,
    /// Bytes of request head (request line and headers) a request may send.
    pub max_header_bytes: usize,
    /// Headers a request may send.
    pub max_headers: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            header_read_timeout_secs: 10,
            idle_timeout_secs: 60,
            max_connections: 1024,
            max_header_bytes: 16 * 1024,
            max_headers: 100,
        }
    }
}

impl HttpSettings {
    /// Every setting that cannot work, named.
    pub fn validate(&self) -> Result<(), String> {
        let mut faults = Vec::new();
        if self.header_read_timeout_secs == 0 {
            faults.push("http.header_read_timeout_secs must be at least 1");
        }
        if self.idle_timeout_secs == 0 {
            faults.push("http.idle_timeout_secs must be at least 1");
        }
        if self.max_connections == 0 {
            faults.push("http.max_connections must be at least 1");
        }
        if self.max_header_bytes < 1024 {
            faults.push("http.max_header_bytes must be at least 1024");
        }
        if self.max_headers < 8 {
            faults.push("http.max_headers must be at least 8");
        }
        if faults.is_empty() {
            Ok(())
        } else {
            Err(faults.join("; "))
        }
    }

    /// Connections refused with a 503 at once, beyond the cap, before
    /// further ones are closed without an answer.
    fn overflow(&self) -> usize {
        (self.max_connections / 8).clamp(16, 256)
    }
}

/// How a server ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// Connections still open when the grace period ran out, dropped.
    pub dropped_connections: usize,
}

/// Serve `app` on `listener` until `shutdown` resolves, then drain for at
/// most `grace`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    settings: HttpSettings,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()> + Send,
    grace: Duration,
) -> io::Result<Stopped> {
    let permits = Arc::new(Semaphore::new(settings.max_connections));
    let overflow = Arc::new(Semaphore::new(settings.overflow()));
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(settings.header_read_timeout_secs))
        // hyper's own hard caps stand well above the router's limits, so a
        // request over those is answered by the router, as problem+json.
        .max_headers(settings.max_headers.saturating_mul(4).max(100))
        .max_buf_size((settings.max_header_bytes.saturating_mul(4)).max(64 * 1024));
    let idle = Duration::from_secs(settings.idle_timeout_secs);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little
                    // rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        // Finished connections' results, so the set does not grow.
        while connections.try_join_next().is_some() {}
        let io = TokioIo::new(IdleTimeout::new(stream, idle));
        if let Ok(permit) = permits.clone().try_acquire_owned() {
            let app = app.clone();
            let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                app.clone().oneshot(req.map(Body::new))
            });
            let conn = builder.serve_connection(io, service);
            let watched = graceful.watch(conn);
            let metrics = metrics.clone();
            metrics.http_connections_open.inc();
            connections.spawn(async move {
                let _permit = permit;
                if let Err(e) = watched.await {
                    tracing::debug!(error = %e, %peer, "connection ended with an error");
                }
                metrics.http_connections_open.dec();
            });
        } else if let Ok(permit) = overflow.clone().try_acquire_owned() {
            metrics.http_connections_refused.inc();
            let max = settings.max_connections;
            let mut refusing = hyper::server::conn::http1::Builder::new();
            refusing
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(2))
                .keep_alive(false);
            let service = hyper::service::service_fn(move |_req: Request<Incoming>| async move {
                Ok::<_, std::convert::Infallible>(over_capacity(max))
            });
            let conn = refusing.serve_connection(io, service);
            connections.spawn(async move {
                let _permit = permit;
                let _ = conn.await;
            });
        } else {
            metrics.http_connections_refused.inc();
            drop(io);
        }
    }
    drop(listener);
    let open = graceful.count();
    tracing::info!(
        open,
        grace_secs = grace.as_secs(),
        "no longer accepting connections; closing idle ones, letting requests under way finish"
    );
    let drained = tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_ok();
    let dropped = if drained {
        0
    } else {
        while connections.try_join_next().is_some() {}
        let left = connections.len();
        tracing::warn!(
            connections = left,
            "shutdown grace over: dropping the connections still open"
        );
        left
    };
    connections.shutdown().await;
    Ok(Stopped {
        dropped_connections: dropped,
    })
}

/// The answer on a connection over `http.max_connections`.
fn over_capacity(max: usize) -> Response {
    let mut resp = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "Too many connections",
        format!(
            "the server has its {max} connections open (http.max_connections = {max}); try again shortly"
        ),
    )
    .into_response();
    resp.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    resp.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    resp
}

/// A connection that fails once nothing has been read or written on it for
/// `limit`. Progress either way restarts the clock; the clock is only
/// looked at while the connection waits.
struct IdleTimeout {
    inner: TcpStream,
    limit: Duration,
    timer: Pin<Box<Sleep>>,
}

impl IdleTimeout {
    fn new(inner: TcpStream, limit: Duration) -> Self {
        Self {
            inner,
            limit,
            timer: Box::pin(tokio::time::sleep(limit)),
        }
    }

    fn progressed(&mut self) {
        let next = Instant::now() + self.limit;
        self.timer.as_mut().reset(next);
    }

    /// A write's result: progress restarts the clock; a wait past the
    /// limit is an error.
    fn after_write(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        match polled {
            Poll::Ready(r) => {
                if matches!(r, Ok(n) if n > 0) {
                    self.progressed();
                }
                Poll::Ready(r)
            }
            Poll::Pending => match self.idle_error(cx) {
                Some(e) => Poll::Ready(Err(e)),
                None => Poll::Pending,
            },
        }
    }

    /// After the underlying call came back pending: an error if the
    /// connection has been idle for the limit (the timer's waker is set
    /// otherwise, so a wait that outlasts it is woken and ends).
    fn idle_error(&mut self, cx: &mut Context<'_>) -> Option<io::Error> {
        self.timer.as_mut().poll(cx).is_ready().then(|| {
            io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "nothing read or written for {} s (http.idle_timeout_secs)",
                    self.limit.as_secs()
                ),
            )
        })
    }
}

impl AsyncRead for IdleTimeout {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before {
                    self.progressed();
                }
                Poll::Ready(r)
            }
            Poll::Pending => match self.idle_error(cx) {
                Some(e) => Poll::Ready(Err(e)),
                None => Poll::Pending,
            },
        }
    }
}

impl AsyncWrite for IdleTimeout {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.after_write(cx, polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.after_write(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The address a request came from, when it came through [`serve`]
/// (absent in `oneshot` tests).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    async fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let client = TcpStream::connect(addr).await.expect("connect");
        let (server, _) = listener.accept().await.expect("accept");
        (client, server)
    }

    #[tokio::test]
    async fn a_connection_with_nothing_moving_ends_after_the_idle_limit() {
        let (_client, server) = pair().await;
        let mut idle = IdleTimeout::new(server, Duration::from_millis(100));
        let mut buf = [0u8; 16];
        let read = tokio::time::timeout(Duration::from_secs(30), idle.read(&mut buf)).await;
        let err = read.expect("ended by the idle limit").expect_err("idle");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(err.to_string().contains("http.idle_timeout_secs"), "{err}");
    }

    #[tokio::test]
    async fn progress_restarts_the_idle_clock() {
        let (mut client, server) = pair().await;
        // Writes every 50 ms against a limit of 5 s: the limit is never
        // reached while something moves, however slow the machine.
        let limit = Duration::from_secs(5);
        let mut idle = IdleTimeout::new(server, limit);
        let started = Instant::now();
        for _ in 0..10 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            client.write_all(b"x").await.expect("write");
            let mut buf = [0u8; 1];
            idle.read_exact(&mut buf).await.expect("read while moving");
        }
        // The clock restarted at the last read.
        assert!(idle.timer.deadline() > started + Duration::from_millis(500));
    }

    #[test]
    fn settings_that_cannot_work_are_named() {
        assert!(HttpSettings::default().validate().is_ok());
        let bad = HttpSettings {
            header_read_timeout_secs: 0,
            max_connections: 0,
            ..HttpSettings::default()
        };
        let err = bad.validate().expect_err("refused");
        assert!(
            err.contains("http.header_read_timeout_secs") && err.contains("http.max_connections"),
            "{err}"
        );
    }
}
