//! Finished spans in Zipkin's v2 model: ids in hex (a 128-bit trace id as
//! 32 digits, one that fits in 64 bits as 16), times in microseconds, tags
//! as strings, logs as annotations.

use std::time::SystemTime;

use serde_json::{Map, Value, json};
use tracekit_runtime::{LogRecord, SpanKind, SpanRecord, TagValue, unix_nanos};

/// The JSON array that reports `batch` for the service `service_name`.
///
/// ```
/// use tracekit_runtime::testing;
///
/// let ((), spans) = testing::capture(|| {
///     tracekit_runtime::global().span("checkout").tag("items", 3).start().finish();
/// });
/// let json = tracekit_zipkin::to_json(&spans, "shop");
/// assert_eq!(json[0]["name"], "checkout");
/// assert_eq!(json[0]["tags"]["items"], "3");
/// assert_eq!(json[0]["localEndpoint"]["serviceName"], "shop");
/// ```
pub fn to_json(batch: &[SpanRecord], service_name: &str) -> Value {
    batch
        .iter()
        .map(|record| span(record, service_name))
        .collect()
}

fn span(record: &SpanRecord, service_name: &str) -> Value {
    let mut span = Map::new();
    span.insert("traceId".into(), Value::from(trace_id(record)));
    span.insert("id".into(), Value::from(record.span_id.to_string()));
    if let Some(parent) = record.parent_id {
        span.insert("parentId".into(), Value::from(parent.to_string()));
    }
    span.insert("name".into(), Value::from(record.name.as_ref()));
    if let Some(kind) = kind(record.kind) {
        span.insert("kind".into(), Value::from(kind));
    }
    let start = micros(record.start);
    span.insert("timestamp".into(), Value::from(start));
    // Zipkin reads a duration of 0 as unknown: a span is at least 1 µs.
    let duration = micros(record.end).saturating_sub(start).max(1);
    span.insert("duration".into(), Value::from(duration));
    span.insert(
        "localEndpoint".into(),
        json!({ "serviceName": service_name }),
    );
    // A server span that continues a client span of another process
    // shares its id space with it, in Zipkin's terms.
    if record.kind == SpanKind::Server && record.parent_is_remote {
        span.insert("shared".into(), Value::from(true));
    }
    if !record.logs.is_empty() {
        let annotations: Vec<Value> = record.logs.iter().map(annotation).collect();
        span.insert("annotations".into(), Value::from(annotations));
    }
    let mut tags: Map<String, Value> = record
        .tags
        .iter()
        .map(|(key, value)| (key.to_string(), Value::from(text(value))))
        .collect();
    // Zipkin marks a failed span by an `error` tag holding the message.
    if record.is_error() {
        let message = record
            .log_event("error")
            .and_then(|log| log.field("message"))
            .and_then(TagValue::as_str)
            .unwrap_or("true");
        tags.insert("error".into(), Value::from(message));
    }
    if !tags.is_empty() {
        span.insert("tags".into(), Value::Object(tags));
    }
    Value::Object(span)
}

/// 32 hex digits, or 16 when the high half is zero (a 64-bit trace id).
fn trace_id(record: &SpanRecord) -> String {
    let full = record.trace_id.to_string();
    match full.strip_prefix("0000000000000000") {
        Some(low) => low.to_owned(),
        None => full,
    }
}

fn kind(kind: SpanKind) -> Option<&'static str> {
    match kind {
        SpanKind::Internal => None,
        SpanKind::Server => Some("SERVER"),
        SpanKind::Client => Some("CLIENT"),
        SpanKind::Producer => Some("PRODUCER"),
        SpanKind::Consumer => Some("CONSUMER"),
    }
}

/// A log as an annotation: its `event` field, then its other fields as
/// `key=value`.
fn annotation(log: &LogRecord) -> Value {
    let mut value = log
        .field("event")
        .and_then(TagValue::as_str)
        .unwrap_or("log")
        .to_owned();
    for (key, field) in log.fields.iter().filter(|(key, _)| key != "event") {
        value.push_str(&format!(" {key}={}", text(field)));
    }
    json!({ "timestamp": micros(log.timestamp), "value": value })
}

fn text(value: &TagValue) -> String {
    match value {
        TagValue::Str(text) => text.to_string(),
        other => other.to_string(),
    }
}

fn micros(time: SystemTime) -> u64 {
    unix_nanos(time) / 1_000
}
