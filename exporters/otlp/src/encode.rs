//! A batch of finished spans as an OTLP `ExportTraceServiceRequest`: one
//! resource (the tracer's), one instrumentation scope (tracekit), and each
//! span with its ids, flags, trace state, kind, times, typed attributes,
//! logs as events, follows-from references as links, and its status.
use tracekit_runtime::{
    Field, LogRecord, Resource, SpanContext, SpanKind, SpanRecord, TagValue, unix_nanos,
};

use crate::proto::collector::ExportTraceServiceRequest;
use crate::proto::common::{AnyValue, InstrumentationScope, KeyValue, any_value};
use crate::proto::resource::Resource as OtlpResource;
use crate::proto::trace::{ResourceSpans, ScopeSpans, Span, Status, span, status};

/// W3C's sampled flag, in `Span.flags`' low byte (every exported span is
/// sampled).
const SAMPLED: u32 = 0x01;
/// W3C's random flag.
const RANDOM: u32 = 0x02;
/// `SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK`: whether the parent is remote is
/// known.
const HAS_IS_REMOTE: u32 = 0x100;
/// `SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK`: the parent is remote.
const IS_REMOTE: u32 = 0x200;

/// The request that exports `batch`, produced under `resource`.
///
/// ```
/// use tracekit_otlp::encode::request;
/// use tracekit_runtime::Resource;
///
/// let request = request(&Resource::new("shop"), &[]);
/// let scope = &request.resource_spans[0].scope_spans[0];
/// assert_eq!(scope.scope.as_ref().unwrap().name, "tracekit");
/// ```
pub fn request(resource: &Resource, batch: &[SpanRecord]) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(OtlpResource {
                attributes: attributes(resource.attributes()),
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "tracekit".to_owned(),
                    version: env!("CARGO_PKG_VERSION").to_owned(),
                    ..Default::default()
                }),
                spans: batch.iter().map(span).collect(),
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

/// One finished span.
fn span(record: &SpanRecord) -> Span {
    Span {
        trace_id: record.trace_id.to_bytes().to_vec(),
        span_id: record.span_id.to_bytes().to_vec(),
        trace_state: record.trace_state.as_str().to_owned(),
        parent_span_id: record
            .parent_id
            .map_or_else(Vec::new, |id| id.to_bytes().to_vec()),
        flags: span_flags(record),
        name: record.name.to_string(),
        kind: kind(record.kind) as i32,
        start_time_unix_nano: unix_nanos(record.start),
        end_time_unix_nano: unix_nanos(record.end),
        attributes: attributes(&record.tags),
        events: record.logs.iter().map(event).collect(),
        links: record.follows_from.iter().map(link).collect(),
        status: Some(status_of(record)),
        ..Default::default()
    }
}

/// The OTLP number of `kind`.
pub(crate) fn kind_number(kind: SpanKind) -> i32 {
    self::kind(kind) as i32
}

fn kind(kind: SpanKind) -> span::SpanKind {
    match kind {
        SpanKind::Internal => span::SpanKind::Internal,
        SpanKind::Server => span::SpanKind::Server,
        SpanKind::Client => span::SpanKind::Client,
        SpanKind::Producer => span::SpanKind::Producer,
        SpanKind::Consumer => span::SpanKind::Consumer,
    }
}

/// An event's name: the log's `event` field, else `log`.
pub(crate) fn event_name(log: &LogRecord) -> &str {
    log.field("event")
        .and_then(TagValue::as_str)
        .unwrap_or("log")
}

fn attributes(fields: &[Field]) -> Vec<KeyValue> {
    fields
        .iter()
        .map(|(key, value)| KeyValue {
            key: key.to_string(),
            value: Some(any_value_of(value)),
            ..Default::default()
        })
        .collect()
}

/// A tag with its type: OTLP has no unsigned integers, so one above
/// `i64::MAX` goes as its decimal text rather than wrapped around.
fn any_value_of(value: &TagValue) -> AnyValue {
    let value = match value {
        TagValue::Bool(v) => any_value::Value::BoolValue(*v),
        TagValue::I64(v) => any_value::Value::IntValue(*v),
        TagValue::U64(v) => any_value::Value::StringValue(v.to_string()),
        TagValue::F64(v) => any_value::Value::DoubleValue(*v),
        TagValue::Str(v) => any_value::Value::StringValue(v.to_string()),
    };
    AnyValue { value: Some(value) }
}

/// A log as an event: its `event` field is the event's name (`log` when it
/// has none), the other fields its attributes.
fn event(log: &LogRecord) -> span::Event {
    let name = event_name(log);
    let others: Vec<Field> = log
        .fields
        .iter()
        .filter(|(key, _)| key != "event")
        .cloned()
        .collect();
    span::Event {
        time_unix_nano: unix_nanos(log.timestamp),
        name: name.to_owned(),
        attributes: attributes(&others),
        dropped_attributes_count: 0,
    }
}

/// `Span.flags`: W3C's sampled and random flags, and whether the parent
/// is remote (known, so `HAS_IS_REMOTE` is always set).
pub(crate) fn span_flags(record: &SpanRecord) -> u32 {
    let mut flags = SAMPLED | HAS_IS_REMOTE;
    if record.random_trace_id {
        flags |= RANDOM;
    }
    if record.parent_is_remote {
        flags |= IS_REMOTE;
    }
    flags
}

/// `Link.flags`, the same bits for the linked context.
pub(crate) fn link_flags(context: &SpanContext) -> u32 {
    let mut flags = HAS_IS_REMOTE;
    if context.is_sampled() {
        flags |= SAMPLED;
    }
    if context.has_random_trace_id() {
        flags |= RANDOM;
    }
    if context.is_remote() {
        flags |= IS_REMOTE;
    }
    flags
}

fn link(context: &SpanContext) -> span::Link {
    let flags = link_flags(context);
    span::Link {
        trace_id: context.trace_id().to_bytes().to_vec(),
        span_id: context.span_id().to_bytes().to_vec(),
        trace_state: context.trace_state().as_str().to_owned(),
        attributes: Vec::new(),
        dropped_attributes_count: 0,
        flags,
    }
}

/// `Error` with the message of the span's `error` log for a span that
/// failed (the OpenTracing `error` tag), else `Unset`.
pub(crate) fn status_of(record: &SpanRecord) -> Status {
    if !record.is_error() {
        return Status::default();
    }
    let message = record
        .log_event("error")
        .and_then(|log| log.field("message"))
        .and_then(TagValue::as_str)
        .unwrap_or_default();
    Status {
        message: message.to_owned(),
        code: status::StatusCode::Error as i32,
    }
}
