//! Finished spans: what exporters receive and tests assert on.

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, SystemTime};

use crate::identity::{Baggage, SpanContext, SpanId, TraceId, TraceState};
use crate::tag::TagValue;

/// A key and its value, as tags and log fields are stored.
pub type Field = (Cow<'static, str>, TagValue);

/// The role of a span in a request, as in OpenTracing's `span.kind` and
/// OpenTelemetry's `SpanKind`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SpanKind {
    /// Work inside the process (the default).
    #[default]
    Internal,
    /// Handling a request from a remote client.
    Server,
    /// A request to a remote server.
    Client,
    /// Sending a message to be handled later.
    Producer,
    /// Handling a message sent by a producer.
    Consumer,
}

impl SpanKind {
    /// The lower-case name used in `span.kind` tags.
    pub const fn as_str(self) -> &'static str {
        match self {
            SpanKind::Internal => "internal",
            SpanKind::Server => "server",
            SpanKind::Client => "client",
            SpanKind::Producer => "producer",
            SpanKind::Consumer => "consumer",
        }
    }
}

impl fmt::Display for SpanKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A timestamped set of fields attached to a span (OpenTracing `log`).
///
/// The standard field names are `event`, `message`, `error.kind` and
/// `stack`.
#[derive(Clone, Debug, PartialEq)]
pub struct LogRecord {
    /// When the log was written.
    pub timestamp: SystemTime,
    /// The fields, in the order they were given.
    pub fields: Vec<Field>,
}

impl LogRecord {
    /// The value of the field `key`, if present.
    pub fn field(&self, key: &str) -> Option<&TagValue> {
        find(&self.fields, key)
    }
}

/// A finished span.
#[derive(Clone, Debug, PartialEq)]
pub struct SpanRecord {
    /// The operation name.
    pub name: Cow<'static, str>,
    /// The trace the span belongs to.
    pub trace_id: TraceId,
    /// The span's own id.
    pub span_id: SpanId,
    /// The parent span's id; `None` for a root.
    pub parent_id: Option<SpanId>,
    /// Whether the parent lives in another process (was extracted from a carrier).
    pub parent_is_remote: bool,
    /// W3C's random flag: the right part of the trace id is random.
    pub random_trace_id: bool,
    /// The trace's W3C `tracestate`, as the trace carried it.
    pub trace_state: TraceState,
    /// The span's role.
    pub kind: SpanKind,
    /// When the span started.
    pub start: SystemTime,
    /// When the span finished.
    pub end: SystemTime,
    /// The tags, one value per key.
    pub tags: Vec<Field>,
    /// The logs, in the order they were written.
    pub logs: Vec<LogRecord>,
    /// Contexts this span follows from (OpenTracing `FollowsFrom` references).
    pub follows_from: Vec<SpanContext>,
    /// The baggage the span carried when it finished.
    pub baggage: Baggage,
}

impl SpanRecord {
    /// The value of the tag `key`, if set.
    ///
    /// ```
    /// # let (_, spans) = tracekit_runtime::testing::capture(|| {
    /// #     tracekit_runtime::global().span("work").tag("rows", 3).start();
    /// # });
    /// assert_eq!(spans[0].tag("rows").and_then(|v| v.as_i64()), Some(3));
    /// ```
    pub fn tag(&self, key: &str) -> Option<&TagValue> {
        find(&self.tags, key)
    }

    /// Whether the span ended in error (the OpenTracing `error` tag is true).
    pub fn is_error(&self) -> bool {
        self.tag("error").and_then(TagValue::as_bool) == Some(true)
    }

    /// How long the span lasted.
    pub fn duration(&self) -> Duration {
        self.end.duration_since(self.start).unwrap_or_default()
    }

    /// The span's own context (ids, sampled, the random flag, trace state,
    /// baggage).
    pub fn context(&self) -> SpanContext {
        SpanContext::new(self.trace_id, self.span_id, true)
            .with_random_trace_id(self.random_trace_id)
            .with_trace_state(self.trace_state.clone())
            .with_baggage(self.baggage.clone())
    }

    /// The first log whose `event` field equals `event`.
    pub fn log_event(&self, event: &str) -> Option<&LogRecord> {
        self.logs
            .iter()
            .find(|log| log.field("event").and_then(TagValue::as_str) == Some(event))
    }
}

fn find<'a>(fields: &'a [Field], key: &str) -> Option<&'a TagValue> {
    fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}
