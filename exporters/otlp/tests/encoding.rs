//! What the OTLP encoding writes, read back from the protobuf bytes: every
//! span's ids, parent, flags, trace state, kind, times, typed attributes,
//! events, links and status, under the tracer's resource and tracekit's
//! scope.

#[path = "support/spans.rs"]
mod support;

use std::time::{Duration, UNIX_EPOCH};

use prost::Message;
use support::spans;
use tracekit_otlp::proto::collector::ExportTraceServiceRequest;
use tracekit_otlp::proto::common::{AnyValue, KeyValue, any_value::Value};
use tracekit_otlp::proto::trace::{Span, span, status};
use tracekit_otlp::{encode, wire};
use tracekit_runtime::{Resource, SpanRecord, TagValue};

fn decoded(spans: &[SpanRecord]) -> ExportTraceServiceRequest {
    let resource = Resource::new("shop").with_attribute("team", "payments");
    let body = encode::request(&resource, spans).encode_to_vec();
    ExportTraceServiceRequest::decode(body.as_slice()).expect("valid protobuf")
}

fn find<'a>(spans: &'a [Span], name: &str) -> &'a Span {
    spans.iter().find(|s| s.name == name).expect(name)
}

fn value(attributes: &[KeyValue], key: &str) -> Option<Value> {
    let found = attributes.iter().find(|kv| kv.key == key)?;
    found.value.clone().and_then(|AnyValue { value }| value)
}

fn nanos(time: std::time::SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64
}

#[test]
fn the_resource_and_the_scope_head_the_batch() {
    let request = decoded(&spans());
    assert_eq!(request.resource_spans.len(), 1, "one resource");
    let resource_spans = &request.resource_spans[0];
    let attributes = &resource_spans.resource.as_ref().unwrap().attributes;
    let text = |key| match value(attributes, key) {
        Some(Value::StringValue(text)) => text,
        other => panic!("{key}: {other:?}"),
    };
    assert_eq!(text("service.name"), "shop");
    assert_eq!(text("telemetry.sdk.name"), "tracekit");
    assert_eq!(text("telemetry.sdk.language"), "rust");
    assert_eq!(text("team"), "payments");
    assert_eq!(resource_spans.scope_spans.len(), 1, "one scope");
    let scope = resource_spans.scope_spans[0].scope.as_ref().unwrap();
    assert_eq!(scope.name, "tracekit");
    assert_eq!(scope.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(resource_spans.scope_spans[0].spans.len(), 3);
}

#[test]
fn each_span_keeps_its_ids_flags_state_kind_and_times() {
    let records = spans();
    let request = decoded(&records);
    let spans = &request.resource_spans[0].scope_spans[0].spans;
    for record in &records {
        let span = find(spans, &record.name);
        assert_eq!(span.trace_id, record.trace_id.to_bytes());
        assert_eq!(span.span_id, record.span_id.to_bytes());
        let parent = record.parent_id.map(|id| id.to_bytes().to_vec());
        assert_eq!(span.parent_span_id, parent.unwrap_or_default());
        assert_eq!(span.start_time_unix_nano, nanos(record.start));
        assert_eq!(span.end_time_unix_nano, nanos(record.end));
        assert_eq!(span.trace_state, record.trace_state.as_str());
    }
    let server = find(spans, "GET /cart");
    assert_eq!(server.kind, span::SpanKind::Server as i32);
    assert_eq!(server.trace_state, "congo=t61rcWkgMzE");
    // Sampled and random (W3C), and a parent known to be remote.
    assert_eq!(server.flags, 0x01 | 0x02 | 0x100 | 0x200);
    let query = find(spans, "query");
    assert_eq!(query.kind, span::SpanKind::Client as i32);
    assert_eq!(query.parent_span_id, server.span_id);
    assert_eq!(query.flags, 0x01 | 0x02 | 0x100, "a local parent");
    assert_eq!(find(spans, "job").kind, span::SpanKind::Consumer as i32);
}

#[test]
fn tags_keep_their_types_and_logs_become_events() {
    let records = spans();
    let request = decoded(&records);
    let query = find(&request.resource_spans[0].scope_spans[0].spans, "query");
    let attributes = &query.attributes;
    assert_eq!(value(attributes, "ok"), Some(Value::BoolValue(false)));
    assert_eq!(value(attributes, "rows"), Some(Value::IntValue(-3)));
    assert_eq!(
        value(attributes, "bytes"),
        Some(Value::StringValue(u64::MAX.to_string())),
        "OTLP has no unsigned 64-bit integers: the text keeps the value"
    );
    assert_eq!(value(attributes, "ratio"), Some(Value::DoubleValue(0.5)));
    assert_eq!(
        value(attributes, "db"),
        Some(Value::StringValue("carts".into()))
    );

    let record = records.iter().find(|r| r.name == "query").unwrap();
    assert_eq!(query.events.len(), record.logs.len());
    let retry = &query.events[0];
    assert_eq!(retry.name, "retry");
    assert_eq!(retry.time_unix_nano, nanos(record.logs[0].timestamp));
    assert_eq!(
        value(&retry.attributes, "attempt"),
        Some(Value::StringValue("2".into()))
    );
    assert!(
        value(&retry.attributes, "event").is_none(),
        "the name is not repeated"
    );
    assert_eq!(query.events[1].name, "error");
}

#[test]
fn a_failed_span_has_an_error_status_and_the_others_none() {
    let request = decoded(&spans());
    let spans = &request.resource_spans[0].scope_spans[0].spans;
    let query = find(spans, "query").status.clone().unwrap();
    assert_eq!(query.code, status::StatusCode::Error as i32);
    assert_eq!(query.message, "no answer in 2 s");
    let server = find(spans, "GET /cart").status.clone().unwrap();
    assert_eq!(server.code, status::StatusCode::Unset as i32);
}

#[test]
fn a_follows_from_reference_becomes_a_link() {
    let request = decoded(&spans());
    let spans = &request.resource_spans[0].scope_spans[0].spans;
    let (server, job) = (find(spans, "GET /cart"), find(spans, "job"));
    assert!(job.parent_span_id.is_empty(), "a root of its own");
    assert_eq!(job.links.len(), 1);
    let link = &job.links[0];
    assert_eq!(link.trace_id, server.trace_id);
    assert_eq!(link.span_id, server.span_id);
    assert_eq!(link.trace_state, "congo=t61rcWkgMzE");
    assert_eq!(link.flags & 0x01, 0x01, "sampled");
}

#[test]
fn an_empty_batch_and_times_before_the_epoch_encode() {
    let request = decoded(&[]);
    assert!(request.resource_spans[0].scope_spans[0].spans.is_empty());
    let mut record = spans().remove(0);
    record.start = UNIX_EPOCH - Duration::from_secs(1);
    let request = decoded(&[record]);
    let span = &request.resource_spans[0].scope_spans[0].spans[0];
    assert_eq!(span.start_time_unix_nano, 0);
}

#[test]
fn the_bytes_written_straight_decode_to_the_same_request() {
    let resource = Resource::new("shop").with_attribute("team", "payments");
    let mut records = spans();
    // Values at the edges of their types.
    records[0].tags.extend([
        ("zero".into(), TagValue::I64(0)),
        ("min".into(), TagValue::I64(i64::MIN)),
        ("no".into(), TagValue::Bool(false)),
        ("empty".into(), TagValue::from("")),
        ("nan".into(), TagValue::F64(f64::NAN)),
        ("big".into(), TagValue::U64(u64::MAX)),
    ]);
    for batch in [&records[..], &records[..1], &[]] {
        let mut bytes = Vec::new();
        wire::write_request(&resource, batch, &mut bytes);
        let decoded = ExportTraceServiceRequest::decode(bytes.as_slice()).expect("valid protobuf");
        let expected = encode::request(&resource, batch);
        // NaN is not equal to itself: compare the bytes of both encodings'
        // decoded forms re-encoded, which are canonical.
        assert_eq!(decoded.encode_to_vec(), expected.encode_to_vec());
    }
}

#[test]
fn the_bytes_written_straight_are_those_prost_writes_for_every_length() {
    // Lengths on each side of a varint's size, at every level of nesting:
    // a value, an attribute, an event, a span, and the whole batch.
    let resource = Resource::new("shop").with_attribute("notes", "r".repeat(300));
    let mut records = spans();
    for (n, size) in [0, 100, 127, 128, 200, 16_383, 16_384, 40_000]
        .into_iter()
        .enumerate()
    {
        let mut record = records[n % records.len()].clone();
        record
            .tags
            .push(("text".into(), TagValue::from("t".repeat(size))));
        record.name = "n".repeat(size / 2).into();
        records.push(record);
    }
    for batch in [
        &records[..],
        &records[..1],
        &records[records.len() - 3..],
        &[],
    ] {
        let mut bytes = Vec::new();
        wire::write_request(&resource, batch, &mut bytes);
        assert_eq!(bytes, encode::request(&resource, batch).encode_to_vec());
    }
}
