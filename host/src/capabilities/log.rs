//! The `log` capability and plugin stdout/stderr: everything a plugin says
//! goes to `tracing`, attributed to its department and version.
//!
//! A plugin cannot flood the host: each call may write a bounded number of
//! records and bytes, and output beyond that is counted and dropped.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use crate::bindings::onething::matter::log;
use crate::runtime::{CallState, redact};

/// Most log records one call may write.
pub const MAX_RECORDS_PER_CALL: u32 = 1_000;
/// Longest message kept, in bytes; longer ones are cut.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024;
/// Most stdout or stderr bytes kept per call.
pub const MAX_STDIO_BYTES: usize = 64 * 1024;

fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl log::Host for CallState {
    async fn log(
        &mut self,
        level: log::Level,
        message: String,
        attributes: Vec<(String, String)>,
    ) -> wasmtime::Result<()> {
        self.log_records += 1;
        if self.log_records > MAX_RECORDS_PER_CALL {
            return Ok(());
        }
        let message = redact(cut(&message, MAX_MESSAGE_BYTES), &self.secrets);
        let attrs = attributes
            .iter()
            .map(|(k, v)| format!("{}={}", cut(k, 64), redact(v, &self.secrets)))
            .map(|a| cut(&a, 320).to_owned())
            .collect::<Vec<_>>()
            .join(" ");
        let department = self.department.as_str();
        let version = self.version.as_str();
        match level {
            log::Level::Trace => {
                tracing::trace!(target: "plugin", department, version, attrs, "{message}")
            }
            log::Level::Debug => {
                tracing::debug!(target: "plugin", department, version, attrs, "{message}")
            }
            log::Level::Info => {
                tracing::info!(target: "plugin", department, version, attrs, "{message}")
            }
            log::Level::Warn => {
                tracing::warn!(target: "plugin", department, version, attrs, "{message}")
            }
            log::Level::Error => {
                tracing::error!(target: "plugin", department, version, attrs, "{message}")
            }
        }
        Ok(())
    }
}

/// A plugin's stdout or stderr for one call: kept in memory up to
/// [`MAX_STDIO_BYTES`], then emitted line by line to `tracing` when the
/// call ends. Writes past the limit succeed but are dropped and counted,
/// so a chatty plugin is never failed for printing.
#[derive(Clone, Default)]
pub struct CapturedOutput {
    inner: Arc<Mutex<Captured>>,
}

#[derive(Default)]
struct Captured {
    bytes: Vec<u8>,
    dropped: usize,
}

impl CapturedOutput {
    /// Emit what was captured to `tracing` as `stream` ("stdout"/"stderr"),
    /// with `secrets` masked.
    pub fn flush_to_tracing(
        &self,
        stream: &'static str,
        department: &str,
        version: &str,
        secrets: &[String],
    ) {
        let Ok(mut c) = self.inner.lock() else { return };
        if c.bytes.is_empty() && c.dropped == 0 {
            return;
        }
        let text = String::from_utf8_lossy(&c.bytes).into_owned();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let line = redact(line, secrets);
            tracing::info!(target: "plugin", department, version, stream, "{line}");
        }
        if c.dropped > 0 {
            tracing::warn!(target: "plugin", department, version, stream, dropped = c.dropped, "plugin output over the per-call limit was dropped");
        }
        c.bytes.clear();
        c.dropped = 0;
    }

    /// What was captured so far, as text (for tests).
    pub fn contents(&self) -> String {
        self.inner
            .lock()
            .map(|c| String::from_utf8_lossy(&c.bytes).into_owned())
            .unwrap_or_default()
    }
}

impl wasmtime_wasi::cli::IsTerminal for CapturedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl wasmtime_wasi::cli::StdoutStream for CapturedOutput {
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl tokio::io::AsyncWrite for CapturedOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if let Ok(mut c) = self.inner.lock() {
            let room = MAX_STDIO_BYTES.saturating_sub(c.bytes.len());
            let keep = room.min(buf.len());
            c.bytes.extend_from_slice(&buf[..keep]);
            c.dropped += buf.len() - keep;
        }
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn output_over_the_limit_is_dropped_not_failed() {
        let mut out = CapturedOutput::default();
        let big = vec![b'x'; MAX_STDIO_BYTES + 10];
        out.write_all(&big).await.expect("never fails");
        out.write_all(b"more").await.expect("never fails");
        let c = out.inner.lock().expect("lock");
        assert_eq!(c.bytes.len(), MAX_STDIO_BYTES);
        assert_eq!(c.dropped, 14);
    }

    #[test]
    fn cut_respects_char_boundaries() {
        assert_eq!(cut("林安然", 4), "林");
        assert_eq!(cut("abc", 10), "abc");
    }
}
