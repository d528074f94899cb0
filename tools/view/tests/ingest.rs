//! What the viewer takes in and keeps: tracekit's OTLP exporter (protobuf
//! and JSON, gzip or not) over real HTTP on loopback; bodies that are not
//! OTLP, too large or of another type refused with a 4xx and nothing
//! changed; traces kept across a restart; whole traces evicted oldest
//! first past the bound, and counted exactly; a span sent again counted
//! once; JSON-lines files read in.

mod support;

use serde_json::Value;
use support::{checkout, remove_store, store_path, viewer};
use tracekit_otlp::{Compression, OtlpExporter, Protocol};
use tracekit_view::{Config, Viewer};

fn get(viewer: &Viewer, path: &str) -> Value {
    let url = format!("http://{}{path}", viewer.address());
    let body = blocking_get(&url);
    serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON from {path}: {body}"))
}

fn blocking_get(url: &str) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async { reqwest::get(url).await.unwrap().text().await.unwrap() })
}

fn post(
    viewer: &Viewer,
    content_type: &str,
    encoding: Option<&str>,
    body: Vec<u8>,
) -> (u16, String) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut request = reqwest::Client::new()
            .post(format!("http://{}/v1/traces", viewer.address()))
            .header("content-type", content_type)
            .body(body);
        if let Some(encoding) = encoding {
            request = request.header("content-encoding", encoding);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    })
}

/// The checkout trace (see [`support::checkout`]) sent by a tracer of its
/// own through tracekit's OTLP exporter; its trace id.
fn send_checkout(viewer: &Viewer, protocol: Protocol, compression: Compression) -> String {
    let exporter = OtlpExporter::builder()
        .endpoint(&format!("http://{}", viewer.address()))
        .protocol(protocol)
        .compression(compression)
        .build()
        .unwrap();
    let tracer = tracekit::Tracer::builder()
        .service_name("shop")
        .exporter(exporter)
        .build();
    checkout(&tracer, ("card.kind", "<script>alert(1)</script>"))
}

#[test]
fn traces_from_tracekits_exporter_in_every_encoding_are_kept_and_shown() {
    let store = store_path("ingest");
    let viewer = viewer(&store, 64 << 20);
    let sent = [
        send_checkout(&viewer, Protocol::HttpProtobuf, Compression::None),
        send_checkout(&viewer, Protocol::HttpJson, Compression::None),
        send_checkout(&viewer, Protocol::HttpProtobuf, Compression::Gzip),
    ];
    let list = get(&viewer, "/api/traces");
    assert_eq!(list["traces"].as_array().unwrap().len(), 3);
    for trace_id in &sent {
        let trace = get(&viewer, &format!("/api/traces/{trace_id}"));
        let spans = trace["spans"].as_array().unwrap();
        assert_eq!(spans.len(), 3, "{trace}");
        let by_name = |name: &str| spans.iter().find(|s| s["name"] == name).unwrap();
        let root = by_name("GET /checkout");
        let pay = by_name("pay");
        let check = by_name("check card");
        assert_eq!(root["parent_id"], Value::Null);
        assert_eq!(pay["parent_id"], root["span_id"]);
        assert_eq!(check["parent_id"], pay["span_id"]);
        assert_eq!(root["service"], "shop");
        assert_eq!(root["kind"], "server");
        assert_eq!(pay["error"], true);
        assert_eq!(root["detail"]["tags"]["http.route"], "/checkout");
        assert_eq!(
            check["detail"]["tags"]["card.kind"], "<script>alert(1)</script>",
            "kept as text"
        );
        assert!(root["critical"].as_bool().unwrap());
    }
    let summary = &list["traces"][0];
    assert_eq!(summary["root_name"], "GET /checkout");
    assert_eq!(summary["span_count"], 3);
    assert_eq!(summary["errors"], 1);
    assert_eq!(summary["services"], serde_json::json!(["shop"]));
    remove_store(&store);
}

#[test]
fn bodies_that_are_not_otlp_are_refused_and_change_nothing() {
    let store = store_path("ingest");
    let viewer = viewer(&store, 64 << 20);
    send_checkout(&viewer, Protocol::HttpProtobuf, Compression::None);
    let before = get(&viewer, "/api/stats");
    let cases: Vec<(&str, Option<&str>, Vec<u8>, u16)> = vec![
        ("application/x-protobuf", None, vec![0xff; 64], 400),
        ("application/json", None, b"{\"resourceSpans\": 7}".to_vec(), 400),
        ("application/json", None, b"not json".to_vec(), 400),
        // A span whose trace id is not 16 bytes.
        (
            "application/json",
            None,
            br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"abc","spanId":"0102030405060708","name":"x"}]}]}]}"#.to_vec(),
            400,
        ),
        ("text/plain", None, b"hello".to_vec(), 415),
        ("application/x-protobuf", Some("br"), vec![1, 2, 3], 415),
        ("application/x-protobuf", Some("gzip"), b"not gzip".to_vec(), 400),
        // Past the 1 MB limit, as sent and as unpacked.
        ("application/x-protobuf", None, vec![0; 2 << 20], 413),
        ("application/x-protobuf", Some("gzip"), gzip(&vec![0; 4 << 20]), 413),
    ];
    for (content_type, encoding, body, status) in cases {
        let (got, why) = post(&viewer, content_type, encoding, body);
        assert_eq!(got, status, "{content_type} {encoding:?}: {why}");
        assert!(!why.is_empty() || status == 413, "a reason is given");
    }
    assert_eq!(get(&viewer, "/api/stats"), before);
    remove_store(&store);
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// An OTLP/JSON body of `spans` (span id, parent id, name, start) of
/// the trace `TRACE`, from the service `shop`.
fn json_body(spans: &[(&str, Option<&str>, &str, u64)]) -> Vec<u8> {
    let spans: Vec<Value> = spans
        .iter()
        .map(|(id, parent, name, start)| {
            serde_json::json!({
                "traceId": TRACE,
                "spanId": id,
                "parentSpanId": parent.unwrap_or(""),
                "name": name,
                "startTimeUnixNano": start.to_string(),
                "endTimeUnixNano": (start + 1_000).to_string(),
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}}]},
        "scopeSpans": [{"spans": spans}],
    }]}))
    .unwrap()
}

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

#[test]
fn a_span_sent_again_is_counted_once_and_shown_as_last_sent() {
    let store = store_path("ingest");
    let viewer = viewer(&store, 64 << 20);
    let (root, child) = ("00f067aa0ba902b7", "00f067aa0ba902b8");
    // The child first, its root not sent yet; then the same request again,
    // as an exporter retries one whose answer it missed.
    let first = json_body(&[(child, Some(root), "query v1", 2_000)]);
    for _ in 0..2 {
        assert_eq!(
            post(&viewer, "application/json", None, first.clone()).0,
            200
        );
    }
    let summary = |viewer: &Viewer| get(viewer, "/api/traces")["traces"][0].clone();
    assert_eq!(get(&viewer, "/api/stats")["spans"], 1);
    assert_eq!(summary(&viewer)["root_name"], "query v1");
    // The root arrives, with the child sent once more, changed.
    let second = json_body(&[
        (root, None, "GET /orders", 1_000),
        (child, Some(root), "query v2", 2_000),
    ]);
    assert_eq!(post(&viewer, "application/json", None, second).0, 200);
    assert_eq!(get(&viewer, "/api/stats")["spans"], 2);
    assert_eq!(summary(&viewer)["span_count"], 2);
    assert_eq!(summary(&viewer)["root_name"], "GET /orders");
    let trace = get(&viewer, &format!("/api/traces/{TRACE}"));
    let names: Vec<&str> = trace["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|span| span["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["GET /orders", "query v2"]);
    // Evicted, it counts what the list counted.
    viewer.stop();
    let again = self::viewer(&store, 0);
    let stats = get(&again, "/api/stats");
    assert_eq!(
        (
            stats["evicted_traces"].clone(),
            stats["evicted_spans"].clone()
        ),
        (1.into(), 2.into())
    );
    assert_eq!(stats["bytes"], 0);
    remove_store(&store);
}

#[test]
fn a_restart_keeps_the_traces_and_the_counts() {
    let store = store_path("ingest");
    let viewer = viewer(&store, 64 << 20);
    let trace_id = send_checkout(&viewer, Protocol::HttpProtobuf, Compression::None);
    viewer.stop();
    let again = self::viewer(&store, 64 << 20);
    let trace = get(&again, &format!("/api/traces/{trace_id}"));
    assert_eq!(trace["spans"].as_array().unwrap().len(), 3);
    remove_store(&store);
}

#[test]
fn past_the_bound_whole_traces_go_oldest_first_and_are_counted_exactly() {
    let store = store_path("ingest");
    // Room for a few checkout traces (about 1.5 KB each).
    let viewer = viewer(&store, 8 << 10);
    let sent: Vec<String> = (0..20)
        .map(|_| send_checkout(&viewer, Protocol::HttpProtobuf, Compression::None))
        .collect();
    let stats = get(&viewer, "/api/stats");
    let kept = stats["traces"].as_u64().unwrap();
    let evicted = stats["evicted_traces"].as_u64().unwrap();
    assert!(kept > 0 && evicted > 0, "{stats}");
    assert_eq!(kept + evicted, 20, "{stats}");
    assert_eq!(stats["evicted_spans"].as_u64().unwrap(), evicted * 3);
    assert!(stats["bytes"].as_u64().unwrap() <= 8 << 10);
    // The newest are kept, the oldest gone.
    let list = get(&viewer, "/api/traces");
    let listed: Vec<&str> = list["traces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["trace_id"].as_str().unwrap())
        .collect();
    let newest: Vec<&str> = sent
        .iter()
        .rev()
        .take(kept as usize)
        .map(String::as_str)
        .collect();
    let mut sorted_listed = listed.clone();
    sorted_listed.sort_unstable();
    let mut sorted_newest = newest.clone();
    sorted_newest.sort_unstable();
    assert_eq!(sorted_listed, sorted_newest);
    viewer.stop();
    // The counts survive a restart; a smaller bound evicts at once.
    let again = self::viewer(&store, 4 << 10);
    let stats = get(&again, "/api/stats");
    assert_eq!(
        stats["traces"].as_u64().unwrap() + stats["evicted_traces"].as_u64().unwrap(),
        20
    );
    assert!(stats["evicted_traces"].as_u64().unwrap() > evicted);
    remove_store(&store);
}

#[test]
fn the_list_is_searched_by_service_name_tag_error_and_duration() {
    let store = store_path("ingest");
    let viewer = viewer(&store, 64 << 20);
    let checkout = send_checkout(&viewer, Protocol::HttpProtobuf, Compression::None);
    let exporter = OtlpExporter::builder()
        .endpoint(&format!("http://{}", viewer.address()))
        .build()
        .unwrap();
    let tracer = tracekit::Tracer::builder()
        .service_name("admin")
        .exporter(exporter)
        .build();
    let audit = tracer.span("audit").tag("user.tier", "gold").start();
    let audit_id = audit.trace_id().to_string();
    drop(audit);
    tracer.flush().unwrap();
    let ids = |query: &str| -> Vec<String> {
        get(&viewer, &format!("/api/traces?{query}"))["traces"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["trace_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids("service=admin"), vec![audit_id.clone()]);
    assert_eq!(ids("name=card"), vec![checkout.clone()]);
    assert_eq!(ids("tag=user.tier%3Dgold"), vec![audit_id.clone()]);
    assert_eq!(ids("tag=http.route"), vec![checkout.clone()]);
    assert_eq!(ids("error=1"), vec![checkout.clone()]);
    assert_eq!(ids("root=audit"), vec![audit_id.clone()]);
    assert_eq!(ids("min_ms=100000").len(), 0);
    assert_eq!(ids("max_ms=100000").len(), 2);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = runtime.block_on(async {
        reqwest::get(format!(
            "http://{}/api/traces?min_ms=soon",
            viewer.address()
        ))
        .await
        .unwrap()
        .status()
    });
    assert_eq!(status.as_u16(), 400);
    remove_store(&store);
}

#[test]
fn json_lines_files_are_read_in_at_start() {
    let store = store_path("ingest");
    let file = store.with_extension("jsonl");
    let tracer = tracekit::Tracer::builder()
        .service_name("driver")
        .exporter(tracekit::jsonl::JsonLines::append(&file).unwrap())
        .build();
    let root = tracer.span("buy").start();
    let trace_id = root.trace_id().to_string();
    tracer.span("GET").child_of(&root).start().finish();
    drop(root);
    tracer.flush().unwrap();
    std::fs::write(
        &file,
        format!("{}not a span\n", std::fs::read_to_string(&file).unwrap()),
    )
    .unwrap();
    let viewer = tracekit_view::start(Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        store: store.clone(),
        import: vec![file.clone()],
        ..Config::default()
    })
    .unwrap();
    let trace = get(&viewer, &format!("/api/traces/{trace_id}"));
    assert_eq!(trace["spans"].as_array().unwrap().len(), 2);
    assert_eq!(trace["spans"][0]["service"], "driver");
    let _ = std::fs::remove_file(&file);
    remove_store(&store);
}

#[test]
fn it_listens_on_loopback_unless_told_otherwise() {
    let config = Config::default();
    assert!(config.listen.ip().is_loopback(), "{}", config.listen);
    assert_eq!(config.listen.port(), 4318, "OTLP/HTTP's port");
    let store = store_path("ingest");
    let viewer = viewer(&store, 1 << 20);
    assert!(viewer.address().ip().is_loopback());
    remove_store(&store);
}

#[test]
fn a_store_of_another_format_is_refused_with_the_reason() {
    let store = store_path("ingest");
    let other = rusqlite::Connection::open(&store).unwrap();
    other
        .execute_batch("CREATE TABLE spans (trace_id TEXT)")
        .unwrap();
    drop(other);
    let refused = tracekit_view::start(Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        store: store.clone(),
        ..Config::default()
    });
    let error = refused.err().expect("refused").to_string();
    assert!(
        error.contains("another version of tracekit-view"),
        "{error}"
    );
    remove_store(&store);
}
