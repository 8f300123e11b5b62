//! The `log` capability and plugin stdout/stderr: everything a plugin says
//! reaches the host's log through a [`LogSink`] (by default `tracing`,
//! target `plugin`), attributed to its department and version, with the
//! values of the call's sensitive fields masked.
//!
//! A plugin cannot flood the host: each call may write a bounded number of
//! records and bytes, and output beyond that is counted and dropped.

use std::borrow::Cow;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use onething_contract::LogLevel;
use onething_model::ids::DepartmentId;

/// Most log records one call may write.
pub const MAX_RECORDS_PER_CALL: u32 = 1_000;
/// Longest message kept, in bytes; longer ones are cut.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024;
/// Most stdout or stderr bytes kept per call.
pub const MAX_STDIO_BYTES: usize = 64 * 1024;
/// What replaces a sensitive value in logs.
pub const MASK: &str = "[sensitive]";

/// Where a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// The `log` import.
    Log,
    /// The plugin's stdout.
    Stdout,
    /// The plugin's stderr.
    Stderr,
}

impl Stream {
    /// `log`, `stdout` or `stderr`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Log => "log",
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// One record a plugin wrote, already cut and masked.
#[derive(Debug, Clone, Copy)]
pub struct LogRecord<'a> {
    /// The department that wrote it.
    pub department: &'a DepartmentId,
    /// The plugin version that wrote it.
    pub version: &'a str,
    /// Where it came from.
    pub stream: Stream,
    /// Its severity (stdout and stderr lines are `Info`).
    pub level: LogLevel,
    /// The message.
    pub message: &'a str,
    /// `key=value` pairs joined by spaces.
    pub attributes: &'a str,
}

/// Where plugins' records go.
pub trait LogSink: Send + Sync {
    /// Take one record.
    fn record(&self, record: &LogRecord<'_>);
}

/// The default sink: `tracing` events with target `plugin` and the
/// department, version and stream as fields.
#[derive(Debug, Default, Clone, Copy)]
pub struct TracingLog;

impl LogSink for TracingLog {
    fn record(&self, r: &LogRecord<'_>) {
        let (department, version, stream, attrs, message) = (
            r.department.as_str(),
            r.version,
            r.stream.as_str(),
            r.attributes,
            r.message,
        );
        match r.level {
            LogLevel::Trace => {
                tracing::trace!(target: "plugin", department, version, stream, attrs, "{message}")
            }
            LogLevel::Debug => {
                tracing::debug!(target: "plugin", department, version, stream, attrs, "{message}")
            }
            LogLevel::Info => {
                tracing::info!(target: "plugin", department, version, stream, attrs, "{message}")
            }
            LogLevel::Warn => {
                tracing::warn!(target: "plugin", department, version, stream, attrs, "{message}")
            }
            LogLevel::Error => {
                tracing::error!(target: "plugin", department, version, stream, attrs, "{message}")
            }
        }
    }
}

/// `text` with every one of `secrets` replaced by [`MASK`].
pub fn redact<'t>(text: &'t str, secrets: &[String]) -> Cow<'t, str> {
    let mut out = Cow::Borrowed(text);
    for s in secrets {
        if out.contains(s.as_str()) {
            out = Cow::Owned(out.replace(s.as_str(), MASK));
        }
    }
    out
}

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

/// One call's logging: who is writing, what to mask, how much was
/// written.
#[derive(Debug, Clone)]
pub struct CallLog {
    /// The department.
    pub department: DepartmentId,
    /// The plugin version.
    pub version: String,
    /// Values of the call's sensitive input fields, masked in everything
    /// the plugin logs or prints.
    pub secrets: Vec<String>,
    records: u32,
}

impl CallLog {
    /// A call of `department`'s `version`.
    pub fn new(department: DepartmentId, version: String) -> Self {
        Self {
            department,
            version,
            secrets: Vec::new(),
            records: 0,
        }
    }

    /// A record from the `log` import: counted, cut, masked, passed on.
    pub fn log(
        &mut self,
        sink: &dyn LogSink,
        level: LogLevel,
        message: &str,
        attributes: &[(String, String)],
    ) {
        self.records += 1;
        if self.records > MAX_RECORDS_PER_CALL {
            return;
        }
        let message = redact(cut(message, MAX_MESSAGE_BYTES), &self.secrets);
        let attrs = attributes
            .iter()
            .map(|(k, v)| format!("{}={}", cut(k, 64), redact(v, &self.secrets)))
            .map(|a| cut(&a, 320).to_owned())
            .collect::<Vec<_>>()
            .join(" ");
        sink.record(&LogRecord {
            department: &self.department,
            version: &self.version,
            stream: Stream::Log,
            level,
            message: &message,
            attributes: &attrs,
        });
    }
}

/// A plugin's stdout or stderr for one call: kept in memory up to
/// [`MAX_STDIO_BYTES`], then emitted line by line to the log sink when the
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
    /// Emit what was captured to `sink`, line by line, as `stream`, with
    /// the call's secrets masked; then forget it.
    pub fn flush(&self, stream: Stream, call: &CallLog, sink: &dyn LogSink) {
        let Ok(mut c) = self.inner.lock() else { return };
        if c.bytes.is_empty() && c.dropped == 0 {
            return;
        }
        let text = String::from_utf8_lossy(&c.bytes).into_owned();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            sink.record(&LogRecord {
                department: &call.department,
                version: &call.version,
                stream,
                level: LogLevel::Info,
                message: &redact(line, &call.secrets),
                attributes: "",
            });
        }
        if c.dropped > 0 {
            sink.record(&LogRecord {
                department: &call.department,
                version: &call.version,
                stream,
                level: LogLevel::Warn,
                message: &format!(
                    "plugin output over the per-call limit of {MAX_STDIO_BYTES} bytes was dropped ({} bytes)",
                    c.dropped
                ),
                attributes: "",
            });
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

    /// A sink that keeps what it is given.
    #[derive(Default)]
    struct Kept(Mutex<Vec<(Stream, LogLevel, String, String)>>);

    impl LogSink for Kept {
        fn record(&self, r: &LogRecord<'_>) {
            if let Ok(mut v) = self.0.lock() {
                v.push((
                    r.stream,
                    r.level,
                    r.message.to_owned(),
                    r.attributes.to_owned(),
                ));
            }
        }
    }

    fn call() -> CallLog {
        let mut c = CallLog::new(DepartmentId::parse("health").expect("id"), "1.0.0".into());
        c.secrets = vec!["11010519491231002X".into()];
        c
    }

    #[tokio::test]
    async fn output_over_the_limit_is_dropped_not_failed() {
        let mut out = CapturedOutput::default();
        let big = vec![b'x'; MAX_STDIO_BYTES + 10];
        out.write_all(&big).await.expect("never fails");
        out.write_all(b"more").await.expect("never fails");
        {
            let c = out.inner.lock().expect("lock");
            assert_eq!(c.bytes.len(), MAX_STDIO_BYTES);
            assert_eq!(c.dropped, 14);
        }
        let kept = Kept::default();
        out.flush(Stream::Stdout, &call(), &kept);
        let records = kept.0.lock().expect("lock");
        let last = records.last().expect("a warning about the drop");
        assert_eq!(last.1, LogLevel::Warn);
        assert!(last.2.contains("14 bytes"), "{}", last.2);
        assert!(out.contents().is_empty(), "flushed output is forgotten");
    }

    #[test]
    fn cut_respects_char_boundaries() {
        assert_eq!(cut("林安然", 4), "林");
        assert_eq!(cut("abc", 10), "abc");
    }

    #[tokio::test]
    async fn records_are_masked_counted_and_attributed() {
        let kept = Kept::default();
        let mut c = call();
        c.log(
            &kept,
            LogLevel::Info,
            "checking 11010519491231002X",
            &[("id".into(), "11010519491231002X".into())],
        );
        for _ in 0..MAX_RECORDS_PER_CALL + 5 {
            c.log(&kept, LogLevel::Debug, "again", &[]);
        }
        let mut out = CapturedOutput::default();
        out.write_all(b"stdout has 11010519491231002X too\n")
            .await
            .expect("write");
        out.flush(Stream::Stderr, &c, &kept);
        let records = kept.0.lock().expect("lock");
        assert_eq!(
            records.len() as u32,
            MAX_RECORDS_PER_CALL + 1,
            "the log import is capped, stdio is not"
        );
        assert_eq!(records[0].2, format!("checking {MASK}"));
        assert_eq!(records[0].3, format!("id={MASK}"));
        let printed = records.last().expect("stderr line");
        assert_eq!(printed.0, Stream::Stderr);
        assert!(!printed.2.contains("11010519491231002X"), "{}", printed.2);
    }
}
