//! Encoding a batch of 512 spans (4 attributes and 1 event each) to OTLP
//! protobuf: tracekit's `SpanRecord`s written straight to bytes
//! (`tracekit::otlp::wire`, what the exporter sends) and through the
//! message structs (`tracekit::otlp::encode`), against the OpenTelemetry
//! SDK's `SpanData` through `opentelemetry-proto` (what
//! `opentelemetry-otlp` sends), the same spans in all three.
//!
//! `cargo bench --bench otlp`

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use opentelemetry::trace::{
    SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest as PeerRequest;
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
use prost::Message;
use tracekit::otlp::encode;
use tracekit::{Resource, SpanRecord, TagValue};

const SPANS: usize = 512;

fn start(n: usize) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000) + Duration::from_micros(n as u64)
}

/// The batch as tracekit exports it.
fn records() -> Vec<SpanRecord> {
    let ((), spans) = tracekit::testing::capture(|| {
        let tracer = tracekit::global();
        for _ in 0..SPANS {
            let span = tracer
                .span("GET /cart")
                .tag("http.request.method", "GET")
                .tag("http.response.status_code", 200)
                .tag("user.id", 4_711)
                .tag("cache.hit", true)
                .start();
            span.log([("event", "cache.lookup"), ("key", "cart:4711")]);
            span.finish();
        }
    });
    assert_eq!(spans.len(), SPANS);
    spans
}

/// The same spans as the OpenTelemetry SDK exports them.
fn span_data(records: &[SpanRecord]) -> Vec<SpanData> {
    records
        .iter()
        .enumerate()
        .map(|(n, record)| {
            let event = opentelemetry::trace::Event::new(
                "cache.lookup",
                start(n),
                vec![KeyValue::new("key", "cart:4711")],
                0,
            );
            let mut events = SpanEvents::default();
            events.events.push(event);
            SpanData {
                span_context: SpanContext::new(
                    TraceId::from_bytes(record.trace_id.to_bytes()),
                    SpanId::from_bytes(record.span_id.to_bytes()),
                    TraceFlags::SAMPLED,
                    false,
                    TraceState::default(),
                ),
                parent_span_id: record
                    .parent_id
                    .map_or(SpanId::INVALID, |id| SpanId::from_bytes(id.to_bytes())),
                parent_span_is_remote: false,
                span_kind: SpanKind::Internal,
                name: Cow::Borrowed("GET /cart"),
                start_time: record.start,
                end_time: record.end,
                attributes: record
                    .tags
                    .iter()
                    .map(|(key, value)| {
                        let value = match value {
                            TagValue::Bool(v) => opentelemetry::Value::from(*v),
                            TagValue::I64(v) => opentelemetry::Value::from(*v),
                            TagValue::F64(v) => opentelemetry::Value::from(*v),
                            other => opentelemetry::Value::from(other.to_string()),
                        };
                        KeyValue::new(key.to_string(), value)
                    })
                    .collect(),
                dropped_attributes_count: 0,
                events,
                links: SpanLinks::default(),
                status: Status::Unset,
                instrumentation_scope: InstrumentationScope::builder("tracekit").build(),
            }
        })
        .collect()
}

fn encoding(c: &mut Criterion) {
    let records = records();
    assert!(
        records
            .iter()
            .all(|r| r.tags.len() == 4 && r.logs.len() == 1)
    );
    let resource = Resource::new("shop");
    let peer_resource = opentelemetry_sdk::Resource::builder_empty()
        .with_service_name("shop")
        .build();
    let peer_resource = ResourceAttributesWithSchema::from(&peer_resource);
    let data = span_data(&records);

    let mut group = c.benchmark_group("otlp encode, 512 spans");
    let mut buffer = Vec::new();
    group.bench_function("tracekit", |b| {
        b.iter(|| {
            buffer.clear();
            tracekit::otlp::wire::write_request(&resource, &records, &mut buffer);
            buffer.len()
        })
    });
    group.bench_function("tracekit, through the message structs", |b| {
        b.iter(|| {
            buffer.clear();
            encode::request(&resource, &records)
                .encode(&mut buffer)
                .unwrap();
            buffer.len()
        })
    });
    group.bench_function("opentelemetry-proto", |b| {
        b.iter_batched(
            || data.clone(),
            |spans| {
                buffer.clear();
                PeerRequest {
                    resource_spans: group_spans_by_resource_and_scope(spans, &peer_resource),
                }
                .encode(&mut buffer)
                .unwrap();
                buffer.len()
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, encoding);
criterion_main!(benches);
