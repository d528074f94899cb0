//! The Zipkin exporter against a real receiver on loopback: each batch is
//! one `POST` of a JSON array that follows Zipkin's v2 model (required
//! fields, types, id lengths, `shared`), with the values of the spans.

#[path = "../../otlp/tests/support/receiver.rs"]
mod receiver;

use std::collections::HashMap;
use std::time::UNIX_EPOCH;

use receiver::Receiver;
use serde_json::Value;
use tracekit_runtime::export::Memory;
use tracekit_runtime::{SpanKind, SpanRecord, Tracer, TracerStats};
use tracekit_zipkin::ZipkinExporter;

/// A server span continuing a client span of another process (a 64-bit
/// trace id), a failing client child with tags and a log, and a consumer
/// with a 128-bit trace of its own; posted to `receiver` and kept in
/// memory.
fn export(receiver: &Receiver) -> (Vec<SpanRecord>, TracerStats) {
    let memory = Memory::new();
    let exporter = ZipkinExporter::builder()
        .endpoint(format!("{}/api/v2/spans", receiver.endpoint()))
        .build()
        .unwrap();
    let tracer = Tracer::builder()
        .service_name("shop")
        .exporter(exporter)
        .exporter(memory.clone())
        .build();
    let headers: HashMap<String, String> = [(
        "traceparent".to_owned(),
        "00-0000000000000000a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
    )]
    .into();
    let remote = tracer.extract(&headers).unwrap();
    let server = tracer
        .span("GET /cart")
        .child_of(&remote)
        .kind(SpanKind::Server)
        .start();
    let client = tracer
        .span("query")
        .child_of(server.context())
        .kind(SpanKind::Client)
        .tag("rows", 3)
        .tag("cached", false)
        .start();
    client.log([("event", "retry"), ("attempt", "2")]);
    client.record_error("Timeout", "no answer");
    client.finish();
    server.finish();
    tracer
        .span("job")
        .ignore_active()
        .kind(SpanKind::Consumer)
        .start()
        .finish();
    let _ = tracer.flush();
    (memory.spans(), tracer.stats())
}

fn is_hex(value: &Value, lengths: &[usize]) -> bool {
    value.as_str().is_some_and(|text| {
        lengths.contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn micros(time: std::time::SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).unwrap().as_micros() as u64
}

#[test]
fn a_batch_is_one_post_of_zipkin_v2_json() {
    let receiver = Receiver::start(202, "");
    let (records, stats) = export(&receiver);
    assert_eq!(stats.spans_exported, 3);
    let requests = receiver.requests();
    let mut spans = Vec::new();
    for request in &requests {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/api/v2/spans");
        assert_eq!(request.header("content-type"), Some("application/json"));
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        spans.extend(body.as_array().expect("a JSON array").iter().cloned());
    }
    assert_eq!(spans.len(), 3);

    for span in &spans {
        // The v2 model's required fields and their types.
        assert!(is_hex(&span["traceId"], &[16, 32]), "{span}");
        assert!(is_hex(&span["id"], &[16]), "{span}");
        assert!(span["parentId"].is_null() || is_hex(&span["parentId"], &[16]));
        assert!(span["name"].is_string());
        assert!(span["timestamp"].as_u64().is_some_and(|t| t > 0));
        assert!(span["duration"].as_u64().is_some_and(|d| d >= 1));
        assert_eq!(span["localEndpoint"]["serviceName"], "shop");
        if let Some(kind) = span.get("kind") {
            assert!(["CLIENT", "SERVER", "PRODUCER", "CONSUMER"].contains(&kind.as_str().unwrap()));
        }
        if let Some(tags) = span.get("tags") {
            assert!(
                tags.as_object().unwrap().values().all(Value::is_string),
                "{tags}"
            );
        }
        let record = records
            .iter()
            .find(|r| span["id"] == r.span_id.to_string())
            .unwrap();
        assert_eq!(span["name"], record.name.as_ref());
        assert_eq!(span["timestamp"], micros(record.start));
    }
    let find = |name: &str| spans.iter().find(|s| s["name"] == name).unwrap();

    let server = find("GET /cart");
    assert_eq!(server["traceId"], "a3ce929d0e0e4736", "a 64-bit trace id");
    assert_eq!(server["parentId"], "00f067aa0ba902b7");
    assert_eq!(server["kind"], "SERVER");
    assert_eq!(server["shared"], true, "it continues a remote client span");

    let client = find("query");
    assert_eq!(client["kind"], "CLIENT");
    assert!(client.get("shared").is_none());
    assert_eq!(client["parentId"], server["id"]);
    assert_eq!(client["tags"]["rows"], "3");
    assert_eq!(client["tags"]["cached"], "false");
    assert_eq!(client["tags"]["error"], "no answer");
    let annotations = client["annotations"].as_array().unwrap();
    assert_eq!(annotations[0]["value"], "retry attempt=2");
    assert!(annotations[0]["timestamp"].as_u64().is_some());

    let job = find("job");
    assert!(is_hex(&job["traceId"], &[32]), "a 128-bit trace id");
    assert_eq!(job["kind"], "CONSUMER");
    assert!(job.get("parentId").is_none());
}

#[test]
fn a_receiver_that_refuses_is_counted_and_not_retried_for_a_bad_request() {
    let receiver = Receiver::start(400, "bad span");
    let (_, stats) = export(&receiver);
    assert_eq!((stats.spans_exported, stats.dropped_export_failed), (0, 3));
    assert_eq!(receiver.requests().len(), 1);
}
