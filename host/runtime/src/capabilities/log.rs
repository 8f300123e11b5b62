//! The `log` capability and plugin stdout/stderr: everything a plugin says
//! reaches the host's log through a [`LogSink`] (by default `tracing`,
//! target `plugin`), attributed to its department and version.
//!
//! What of it: from a call that carries applicant data (check, prefill,
//! handle), by default only **keys, never text** ([`PluginLog::Keys`]):
//! the record's level, the byte count of its message, and those of its
//! attribute keys that are keys of the call's own input fields; stdout
//! and stderr as a count of lines and bytes. Masking values in free text
//! cannot be relied on (a value spaced out, reversed or split in two goes
//! through), so by default there is no free text. [`PluginLog::Text`]
//! (`limits.plugin_log = "text"`, for development) keeps the text with
//! the values of the call's sensitive fields masked, best effort.
//! `describe` carries no applicant data, and its output is kept whole.
//!
//! A plugin cannot flood the host: each call may write a bounded number of
//! records and bytes, each record a bounded number of attributes, and
//! stdout and stderr a bounded number of bytes ([`LogLimits`], settings of
//! `[limits]`). What is over is dropped, never failed: the call ends with
//! one line saying how much was dropped, and the runtime counts drops in
//! [`OutputDrops`] (exported as metrics). A record the sink would not keep
//! at its level is never built.

use std::borrow::Cow;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use onething_contract::LogLevel;
use onething_model::ids::DepartmentId;

/// Default of `limits.log_records_per_call`.
pub const MAX_RECORDS_PER_CALL: u32 = 1_000;
/// Longest message kept, in bytes; longer ones are cut.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024;
/// Longest attribute key kept, in bytes.
pub const MAX_KEY_BYTES: usize = 64;
/// Longest `key=value` attribute kept, in bytes.
pub const MAX_ATTRIBUTE_BYTES: usize = 320;
/// Default of `limits.stdio_bytes_per_call`.
pub const MAX_STDIO_BYTES: usize = 64 * 1024;
/// Default of `limits.log_bytes_per_call`.
pub const MAX_LOG_BYTES_PER_CALL: usize = 64 * 1024;
/// Default of `limits.log_attributes_per_record`.
pub const MAX_ATTRIBUTES_PER_RECORD: usize = 32;
/// What replaces a sensitive value in logs.
pub const MASK: &str = "[sensitive]";

/// What of a plugin's log text reaches the host's log from a call that
/// carries applicant data (`limits.plugin_log`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PluginLog {
    /// Keys, never text: levels, sizes, and attribute keys that are the
    /// call's input field keys (the default).
    #[default]
    Keys,
    /// The text, with the values of the call's sensitive fields masked:
    /// for development, never with real applicants' data.
    Text,
}

/// What a call carries of an applicant, for its logging.
#[derive(Debug, Clone, Default)]
pub struct CallInput {
    /// The keys of its input fields (the only attribute keys kept).
    pub keys: std::collections::BTreeSet<String>,
    /// The values of its sensitive input fields (masked in text mode).
    pub secrets: Vec<String>,
    /// The application the call is for, when it has one.
    pub application: Option<String>,
    /// The step, when the call has one.
    pub step: Option<String>,
}

/// How much one call may log and print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogLimits {
    /// Most `log` records (`limits.log_records_per_call`).
    pub records_per_call: u32,
    /// Most bytes of messages and attributes (`limits.log_bytes_per_call`).
    pub bytes_per_call: usize,
    /// Most attributes per record (`limits.log_attributes_per_record`).
    pub attributes_per_record: usize,
    /// Most bytes of stdout, and of stderr (`limits.stdio_bytes_per_call`).
    pub stdio_bytes_per_call: usize,
    /// What of the text is kept from calls with applicant data
    /// (`limits.plugin_log`).
    pub content: PluginLog,
}

impl Default for LogLimits {
    fn default() -> Self {
        Self {
            records_per_call: MAX_RECORDS_PER_CALL,
            bytes_per_call: MAX_LOG_BYTES_PER_CALL,
            attributes_per_record: MAX_ATTRIBUTES_PER_RECORD,
            stdio_bytes_per_call: MAX_STDIO_BYTES,
            content: PluginLog::Keys,
        }
    }
}

/// What plugins' calls dropped over their limits, since the runtime
/// started: counters for metrics, shared by every call.
#[derive(Debug, Default)]
pub struct OutputDrops {
    records: AtomicU64,
    attributes: AtomicU64,
    stdio_bytes: AtomicU64,
}

impl OutputDrops {
    /// `log` records dropped (over the records or bytes per call).
    pub fn records(&self) -> u64 {
        self.records.load(Ordering::Relaxed)
    }

    /// Attributes dropped from records over the attributes per record.
    pub fn attributes(&self) -> u64 {
        self.attributes.load(Ordering::Relaxed)
    }

    /// Bytes of stdout and stderr dropped over the bytes per call.
    pub fn stdio_bytes(&self) -> u64 {
        self.stdio_bytes.load(Ordering::Relaxed)
    }
}

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
    /// Whether a record at `level` would be kept; if not, the host builds
    /// nothing for it (no cutting, masking or formatting).
    fn enabled(&self, level: LogLevel) -> bool {
        let _ = level;
        true
    }

    /// Take one record.
    fn record(&self, record: &LogRecord<'_>);
}

/// The default sink: `tracing` events with target `plugin` and the
/// department, version and stream as fields.
#[derive(Debug, Default, Clone, Copy)]
pub struct TracingLog;

impl LogSink for TracingLog {
    fn enabled(&self, level: LogLevel) -> bool {
        use tracing::Level;
        match level {
            LogLevel::Trace => tracing::enabled!(target: "plugin", Level::TRACE),
            LogLevel::Debug => tracing::enabled!(target: "plugin", Level::DEBUG),
            LogLevel::Info => tracing::enabled!(target: "plugin", Level::INFO),
            LogLevel::Warn => tracing::enabled!(target: "plugin", Level::WARN),
            LogLevel::Error => tracing::enabled!(target: "plugin", Level::ERROR),
        }
    }

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

/// `text` cut to `max` bytes with the secrets masked: masked before the
/// final cut, so a secret straddling the cut is not half shown.
fn cut_masked(text: &str, max: usize, secrets: &[String]) -> String {
    let longest = secrets.iter().map(String::len).max().unwrap_or(0);
    let masked = redact(cut(text, max.saturating_add(longest)), secrets);
    cut(&masked, max).to_owned()
}

/// One call's logging: who is writing, what it carries of an applicant,
/// how much was written and dropped.
#[derive(Debug, Clone)]
pub struct CallLog {
    /// The department.
    pub department: DepartmentId,
    /// The plugin version.
    pub version: String,
    /// What the call carries of an applicant (none for `describe`).
    input: Option<CallInput>,
    limits: LogLimits,
    records: u32,
    bytes: usize,
    dropped_records: u64,
    dropped_attributes: u64,
}

impl CallLog {
    /// A call of `department`'s `version`, under the default limits.
    pub fn new(department: DepartmentId, version: String) -> Self {
        Self::with_limits(department, version, LogLimits::default())
    }

    /// A call of `department`'s `version`, under `limits`.
    pub fn with_limits(department: DepartmentId, version: String, limits: LogLimits) -> Self {
        Self {
            department,
            version,
            input: None,
            limits,
            records: 0,
            bytes: 0,
            dropped_records: 0,
            dropped_attributes: 0,
        }
    }

    /// The same call, carrying `input` of an applicant.
    pub fn carrying(mut self, input: Option<CallInput>) -> Self {
        self.input = input;
        self
    }

    /// The limits in force.
    pub fn limits(&self) -> LogLimits {
        self.limits
    }

    /// The values masked in text (the call's sensitive input values).
    pub fn secrets(&self) -> &[String] {
        self.input.as_ref().map_or(&[], |i| i.secrets.as_slice())
    }

    /// Whether only keys are kept of what this call says: it carries an
    /// applicant's data and `limits.plugin_log` is `keys`.
    pub fn keys_only(&self) -> bool {
        self.input.is_some() && self.limits.content == PluginLog::Keys
    }

    /// `text` as this call may show it elsewhere (an error message): whole
    /// or masked, or None when only keys are kept.
    pub fn shown<'t>(&self, text: &'t str) -> Option<Cow<'t, str>> {
        (!self.keys_only()).then(|| redact(text, self.secrets()))
    }

    /// A record from the `log` import: filtered by level first, then
    /// counted, cut, masked and passed on, or dropped and counted.
    pub fn log(
        &mut self,
        sink: &dyn LogSink,
        level: LogLevel,
        message: &str,
        attributes: &[(String, String)],
    ) {
        if !sink.enabled(level) {
            return;
        }
        let room = self.limits.bytes_per_call.saturating_sub(self.bytes);
        if self.records >= self.limits.records_per_call || room == 0 {
            self.dropped_records += 1;
            return;
        }
        if self.keys_only() {
            self.log_keys(sink, level, message, attributes, room);
            return;
        }
        let message = cut_masked(message, MAX_MESSAGE_BYTES.min(room), self.secrets());
        let mut attrs = String::new();
        let mut kept = 0;
        for (k, v) in attributes.iter().take(self.limits.attributes_per_record) {
            let value_room = MAX_ATTRIBUTE_BYTES.saturating_sub(k.len().min(MAX_KEY_BYTES) + 1);
            let attr = format!(
                "{}={}",
                cut(k, MAX_KEY_BYTES),
                cut_masked(v, value_room, self.secrets())
            );
            let separator = usize::from(!attrs.is_empty());
            if message.len() + attrs.len() + separator + attr.len() > room {
                break;
            }
            if separator == 1 {
                attrs.push(' ');
            }
            attrs.push_str(&attr);
            kept += 1;
        }
        let dropped = attributes.len() - kept;
        if dropped > 0 {
            self.dropped_attributes += dropped as u64;
            let note = format!(
                "{}[{dropped} more attributes dropped]",
                if attrs.is_empty() { "" } else { " " }
            );
            if message.len() + attrs.len() + note.len() <= room {
                attrs.push_str(&note);
            }
        }
        self.records += 1;
        self.bytes += message.len() + attrs.len();
        sink.record(&LogRecord {
            department: &self.department,
            version: &self.version,
            stream: Stream::Log,
            level,
            message: &message,
            attributes: &attrs,
        });
    }

    /// A record as only keys: its message's size and the attribute keys
    /// that are the call's input field keys (the others counted).
    fn log_keys(
        &mut self,
        sink: &dyn LogSink,
        level: LogLevel,
        message: &str,
        attributes: &[(String, String)],
        room: usize,
    ) {
        let keys = self.input.as_ref().map(|i| &i.keys);
        let mut attrs = String::new();
        let mut other = 0usize;
        for (k, _) in attributes.iter().take(self.limits.attributes_per_record) {
            if keys.is_some_and(|keys| keys.contains(k)) {
                if !attrs.is_empty() {
                    attrs.push(' ');
                }
                attrs.push_str(k);
            } else {
                other += 1;
            }
        }
        let over = attributes
            .len()
            .saturating_sub(self.limits.attributes_per_record);
        self.dropped_attributes += over as u64;
        if other + over > 0 {
            attrs.push_str(&format!(
                "{}[{} other attributes]",
                if attrs.is_empty() { "" } else { " " },
                other + over
            ));
        }
        let message = format!("[{} bytes not kept]", message.len());
        let attrs = cut(&attrs, room.saturating_sub(message.len())).to_owned();
        self.records += 1;
        self.bytes += message.len() + attrs.len();
        sink.record(&LogRecord {
            department: &self.department,
            version: &self.version,
            stream: Stream::Log,
            level,
            message: &message,
            attributes: &attrs,
        });
    }

    /// `log` records dropped so far in this call.
    pub fn dropped_records(&self) -> u64 {
        self.dropped_records
    }

    /// At the end of the call: count what was dropped into `drops` and,
    /// if anything was, say so in one last record.
    pub fn finish(&mut self, sink: &dyn LogSink, drops: &OutputDrops) {
        drops
            .records
            .fetch_add(self.dropped_records, Ordering::Relaxed);
        drops
            .attributes
            .fetch_add(self.dropped_attributes, Ordering::Relaxed);
        if self.dropped_records > 0 && sink.enabled(LogLevel::Warn) {
            sink.record(&LogRecord {
                department: &self.department,
                version: &self.version,
                stream: Stream::Log,
                level: LogLevel::Warn,
                message: &format!(
                    "dropped {} log records over the per-call limits (limits.log_records_per_call = {}, limits.log_bytes_per_call = {})",
                    self.dropped_records,
                    self.limits.records_per_call,
                    self.limits.bytes_per_call
                ),
                attributes: "",
            });
        }
        self.dropped_records = 0;
        self.dropped_attributes = 0;
    }
}

/// A plugin's stdout or stderr for one call: kept in memory up to its
/// limit (`limits.stdio_bytes_per_call`), then emitted line by line to the
/// log sink when the call ends. Writes past the limit succeed but are
/// dropped and counted, so a chatty plugin is never failed for printing.
#[derive(Clone)]
pub struct CapturedOutput {
    inner: Arc<Mutex<Captured>>,
}

struct Captured {
    bytes: Vec<u8>,
    dropped: usize,
    limit: usize,
}

impl Default for CapturedOutput {
    fn default() -> Self {
        Self::new(MAX_STDIO_BYTES)
    }
}

impl CapturedOutput {
    /// Capture up to `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Captured {
                bytes: Vec::new(),
                dropped: 0,
                limit,
            })),
        }
    }

    /// Emit what was captured to `sink`, line by line, as `stream`, with
    /// the call's secrets masked (or, keys only, as one count of lines and
    /// bytes); then forget it.
    pub fn flush(&self, stream: Stream, call: &CallLog, sink: &dyn LogSink) {
        self.flush_counted(stream, call, sink, None);
    }

    /// [`Self::flush`], counting dropped bytes into `drops`.
    pub fn flush_counted(
        &self,
        stream: Stream,
        call: &CallLog,
        sink: &dyn LogSink,
        drops: Option<&OutputDrops>,
    ) {
        let Ok(mut c) = self.inner.lock() else { return };
        if c.bytes.is_empty() && c.dropped == 0 {
            return;
        }
        if sink.enabled(LogLevel::Info) {
            let text = String::from_utf8_lossy(&c.bytes);
            let lines = text.lines().filter(|l| !l.trim().is_empty());
            if call.keys_only() {
                let n = lines.count();
                if n > 0 {
                    sink.record(&LogRecord {
                        department: &call.department,
                        version: &call.version,
                        stream,
                        level: LogLevel::Info,
                        message: &format!("[{n} lines, {} bytes not kept]", c.bytes.len()),
                        attributes: "",
                    });
                }
            } else {
                for line in lines {
                    sink.record(&LogRecord {
                        department: &call.department,
                        version: &call.version,
                        stream,
                        level: LogLevel::Info,
                        message: &redact(line, call.secrets()),
                        attributes: "",
                    });
                }
            }
        }
        if c.dropped > 0 {
            if let Some(drops) = drops {
                drops
                    .stdio_bytes
                    .fetch_add(c.dropped as u64, Ordering::Relaxed);
            }
            if sink.enabled(LogLevel::Warn) {
                sink.record(&LogRecord {
                    department: &call.department,
                    version: &call.version,
                    stream,
                    level: LogLevel::Warn,
                    message: &format!(
                        "plugin output over the per-call limit of {} bytes was dropped ({} bytes; limits.stdio_bytes_per_call = {})",
                        c.limit, c.dropped, c.limit
                    ),
                    attributes: "",
                });
            }
        }
        c.bytes.clear();
        c.dropped = 0;
    }

    /// What was captured so far, as text.
    pub fn contents(&self) -> String {
        self.inner
            .lock()
            .map(|c| String::from_utf8_lossy(&c.bytes).into_owned())
            .unwrap_or_default()
    }

    /// The last `lines` non-empty lines captured, each cut to `line_bytes`
    /// (for error messages).
    pub fn last_lines(&self, lines: usize, line_bytes: usize) -> Vec<String> {
        let text = self.contents();
        let mut last: Vec<String> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .rev()
            .take(lines)
            .map(|l| cut(l.trim_end(), line_bytes).to_owned())
            .collect();
        last.reverse();
        last
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
            let room = c.limit.saturating_sub(c.bytes.len());
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

    const ID: &str = "11010519491231002X";

    /// A call carrying an applicant's ID number, keeping `content`.
    fn call_keeping(content: PluginLog) -> CallLog {
        CallLog::with_limits(
            DepartmentId::parse("health").expect("id"),
            "1.0.0".into(),
            LogLimits {
                content,
                ..LogLimits::default()
            },
        )
        .carrying(Some(CallInput {
            keys: ["mother.id_number".to_owned()].into(),
            secrets: vec![ID.into()],
            ..CallInput::default()
        }))
    }

    fn call() -> CallLog {
        call_keeping(PluginLog::Text)
    }

    #[tokio::test]
    async fn by_default_only_keys_are_kept_however_a_value_is_disguised() {
        let kept = Kept::default();
        let mut c = call_keeping(PluginLog::default());
        assert!(c.keys_only());
        let spaced: String = ID.chars().flat_map(|ch| [ch, ' ']).collect();
        let reversed: String = ID.chars().rev().collect();
        c.log(
            &kept,
            LogLevel::Info,
            &format!("saw {spaced}"),
            &[("mother.id_number".into(), reversed.clone())],
        );
        c.log(
            &kept,
            LogLevel::Info,
            &ID[..9],
            &[(ID[9..].into(), "x".into())],
        );
        let mut out = CapturedOutput::default();
        out.write_all(format!("{reversed}\n{spaced}\n").as_bytes())
            .await
            .expect("write");
        out.flush(Stream::Stdout, &c, &kept);
        let records = kept.0.lock().expect("lock");
        assert_eq!(records.len(), 3);
        assert_eq!(
            records[0].2,
            format!("[{} bytes not kept]", 4 + spaced.len())
        );
        assert_eq!(
            records[0].3, "mother.id_number",
            "an input field's key is kept"
        );
        assert_eq!(records[1].3, "[1 other attributes]", "any other key is not");
        assert!(records[2].2.starts_with("[2 lines, "), "{}", records[2].2);
        let all = format!("{records:?}");
        for digits in [&ID[..6], &ID[9..15], &reversed[..6]] {
            assert!(!all.contains(digits), "{digits} in {all}");
        }
        assert_eq!(c.shown("panicked at 1101"), None, "nor in error messages");
        // describe carries nothing of an applicant: its text is kept.
        let describe = CallLog::new(DepartmentId::parse("health").expect("id"), "?".into());
        assert!(!describe.keys_only());
        assert_eq!(describe.shown("panicked").as_deref(), Some("panicked"));
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
            &[("id".into(), ID.into())],
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
