//! A decoder nobody here wrote reads what the OTLP encoding writes:
//! OpenTelemetry's own Python classes (`opentelemetry-proto`, pinned in
//! `interop/requirements.txt`; `interop/otlp_decode.py`) decode the
//! protobuf bytes and the JSON, handed over directly and sent by the
//! exporter to the peer serving OTLP/HTTP, and every span's fields are
//! compared with the records they came from.
//!
//! The test command (`scripts/test-all.sh`) creates the virtualenv and sets
//! `TRACEKIT_PYTHON`. Without the peer this test fails; it never skips.

#[path = "support/spans.rs"]
mod support;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::UNIX_EPOCH;

use prost::Message;
use serde_json::Value;
use tracekit_otlp::{Compression, OtlpExporter, Protocol, encode, json};
use tracekit_runtime::{Resource, SpanKind, SpanRecord, TagValue, Tracer};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python() -> PathBuf {
    let path = std::env::var_os("TRACEKIT_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repository().join("target/interop-venv/bin/python"));
    assert!(
        path.exists(),
        "the Python interop peer is not set up ({}): run scripts/test-all.sh, which creates it",
        path.display()
    );
    path
}

/// What the Python classes decoded from `body` (OTLP/JSON with `json`).
fn decode_in_python(body: &[u8], json: bool) -> Value {
    let mut child = Command::new(python())
        .arg(repository().join("interop/otlp_decode.py"))
        .args(json.then_some("--json"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the peer starts");
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the peer failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the peer writes JSON")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn nanos(time: std::time::SystemTime) -> String {
    time.duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        .to_string()
}

/// A tag as the peer writes an attribute: its `AnyValue` field and value.
fn typed(value: &TagValue) -> Value {
    let (kind, value) = match value {
        TagValue::Bool(v) => ("bool_value", Value::from(*v)),
        TagValue::I64(v) => ("int_value", Value::from(v.to_string())),
        TagValue::U64(v) => ("string_value", Value::from(v.to_string())),
        TagValue::F64(v) => ("double_value", Value::from(*v)),
        TagValue::Str(v) => ("string_value", Value::from(v.as_str())),
    };
    Value::from(vec![Value::from(kind), value])
}

fn kind_number(kind: SpanKind) -> u64 {
    match kind {
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    }
}

fn check_span(record: &SpanRecord, span: &Value) {
    let name = &record.name;
    assert_eq!(span["trace_id"], hex(&record.trace_id.to_bytes()), "{name}");
    assert_eq!(span["span_id"], hex(&record.span_id.to_bytes()), "{name}");
    let parent = record.parent_id.map(|id| hex(&id.to_bytes()));
    assert_eq!(span["parent_span_id"], parent.unwrap_or_default(), "{name}");
    assert_eq!(span["trace_state"], record.trace_state.as_str(), "{name}");
    assert_eq!(span["kind"], kind_number(record.kind), "{name}");
    assert_eq!(span["start"], nanos(record.start), "{name}");
    assert_eq!(span["end"], nanos(record.end), "{name}");
    let flags = span["flags"].as_u64().unwrap();
    assert_eq!(flags & 0x01, 0x01, "{name}: sampled");
    assert_eq!(flags & 0x02 != 0, record.random_trace_id, "{name}: random");
    assert_eq!(
        flags & 0x200 != 0,
        record.parent_is_remote,
        "{name}: remote"
    );
    for (key, value) in &record.tags {
        assert_eq!(span["attributes"][&**key], typed(value), "{name}: {key}");
    }
    let events = span["events"].as_array().unwrap();
    assert_eq!(events.len(), record.logs.len(), "{name}");
    for (event, log) in events.iter().zip(&record.logs) {
        let event_name = log.field("event").and_then(TagValue::as_str).unwrap();
        assert_eq!(event["name"], event_name);
        assert_eq!(event["time"], nanos(log.timestamp));
        for (key, value) in log.fields.iter().filter(|(k, _)| k != "event") {
            assert_eq!(event["attributes"][&**key], typed(value), "{name}: {key}");
        }
    }
    let links = span["links"].as_array().unwrap();
    assert_eq!(links.len(), record.follows_from.len(), "{name}");
    for (link, cause) in links.iter().zip(&record.follows_from) {
        assert_eq!(link["trace_id"], hex(&cause.trace_id().to_bytes()));
        assert_eq!(link["span_id"], hex(&cause.span_id().to_bytes()));
        assert_eq!(link["trace_state"], cause.trace_state().as_str());
    }
    let error = if record.is_error() { 2 } else { 0 };
    assert_eq!(span["status"]["code"], error, "{name}");
}

/// Checks what the peer decoded against the records and the resource.
fn check(decoded: &Value, records: &[SpanRecord], resource: &Resource) {
    let groups = decoded.as_array().unwrap();
    assert_eq!(groups.len(), 1, "one resource and scope: {decoded}");
    let group = &groups[0];
    for (key, value) in resource.attributes() {
        assert_eq!(group["resource"][&**key], typed(value), "resource {key}");
    }
    assert_eq!(group["scope"]["name"], "tracekit");
    assert_eq!(group["scope"]["version"], env!("CARGO_PKG_VERSION"));
    let spans = group["spans"].as_array().unwrap();
    assert_eq!(spans.len(), records.len());
    for record in records {
        let span = spans
            .iter()
            .find(|s| s["name"] == record.name.as_ref())
            .unwrap_or_else(|| panic!("{} in {decoded}", record.name));
        check_span(record, span);
    }
    let query = spans.iter().find(|s| s["name"] == "query").unwrap();
    assert_eq!(query["status"]["message"], "no answer in 2 s");
}

fn resource() -> Resource {
    Resource::new("shop").with_attribute("team", "payments")
}

#[test]
fn opentelemetrys_python_classes_decode_every_field_of_the_protobuf() {
    let records = support::spans();
    let body = encode::request(&resource(), &records).encode_to_vec();
    check(&decode_in_python(&body, false), &records, &resource());
}

#[test]
fn protobufs_json_parser_reads_every_field_of_the_json() {
    let records = support::spans();
    let request = encode::request(&resource(), &records);
    let body = serde_json::to_vec(&json::to_json(&request)).unwrap();
    check(&decode_in_python(&body, true), &records, &resource());
}

/// The peer serving (`args`: `--serve` or `--grpc`, and its flags), and
/// its lines, read on a thread so that a peer that says nothing fails the
/// test instead of hanging it. The first line is its port.
struct Serving {
    peer: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Serving {
    fn start(args: &[&str]) -> Serving {
        let mut peer = Command::new(python())
            .arg(repository().join("interop/otlp_decode.py"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the peer starts");
        let stdout = BufReader::new(peer.stdout.take().unwrap());
        let (send, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    return;
                }
            }
        });
        Serving { peer, lines }
    }

    fn next_line(&self) -> String {
        self.lines
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the peer answers")
    }

    /// Whether the peer says nothing more for a moment.
    fn is_quiet(&self) -> bool {
        self.lines
            .recv_timeout(std::time::Duration::from_millis(200))
            .is_err()
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.peer.kill();
        let _ = self.peer.wait();
    }
}

#[test]
fn the_exporter_delivers_to_opentelemetrys_python_classes_over_http() {
    let serving = Serving::start(&["--serve"]);
    let next_line = || serving.next_line();
    let endpoint = format!("http://127.0.0.1:{}", next_line().trim());
    for (protocol, compression) in [
        (Protocol::HttpProtobuf, Compression::None),
        (Protocol::HttpJson, Compression::Gzip),
    ] {
        let exporter = OtlpExporter::builder()
            .endpoint(&endpoint)
            .protocol(protocol)
            .compression(compression)
            .build()
            .unwrap();
        let builder = Tracer::builder()
            .service_name("shop")
            .resource_attribute("team", "payments")
            .exporter(exporter);
        let records = support::spans_through(builder);
        let received: Value = serde_json::from_str(&next_line()).expect("the peer's line");
        assert_eq!(received["path"], "/v1/traces");
        check(&received["groups"], &records, &resource());
    }
}

/// The Python receiver made to fail: a 503 with `Retry-After: 1` first,
/// then a partial success refusing one span of three, in each encoding.
#[test]
fn the_python_receiver_refusing_then_taking_part_is_counted_exactly() {
    for protocol in [Protocol::HttpProtobuf, Protocol::HttpJson] {
        let serving = Serving::start(&["--serve", "--fail-first", "1", "--reject", "1"]);
        let endpoint = format!("http://127.0.0.1:{}", serving.next_line().trim());
        let exporter = OtlpExporter::builder()
            .endpoint(&endpoint)
            .protocol(protocol)
            .build()
            .unwrap();
        let tracer = Tracer::builder().exporter(exporter).build();
        let started = std::time::Instant::now();
        for name in ["a", "b", "c"] {
            tracer.span(name).start().finish();
        }
        let _ = tracer.flush();
        assert!(
            started.elapsed() >= std::time::Duration::from_secs(1),
            "{protocol:?}: the wait Retry-After asked for"
        );
        let stats = tracer.stats();
        assert_eq!(
            (stats.spans_exported, stats.dropped_export_failed),
            (2, 1),
            "{protocol:?}"
        );
        let received: Value = serde_json::from_str(&serving.next_line()).unwrap();
        let spans = received["groups"][0]["spans"].as_array().unwrap().len();
        assert_eq!(spans, 3, "the batch arrived once, whole");
        assert!(serving.is_quiet(), "{protocol:?}: not sent again");
    }
}

/// OTLP over gRPC to OpenTelemetry's generated Python service, which
/// answers the first call `UNAVAILABLE` with a `RetryInfo` of 400 ms: the
/// exporter waits as asked (its own backoff would wait 10 ms), tries
/// again, and the spans arrive once, with the headers as metadata; plain
/// and gzipped. grpcio hides the `grpc-encoding` header from the service,
/// so the bytes the exporter sends are counted on the way, through a
/// relay: gzipped calls send fewer.
#[cfg(feature = "grpc")]
#[test]
fn the_grpc_exporter_delivers_to_opentelemetrys_python_service() {
    let mut sent = Vec::new();
    for compression in [Compression::None, Compression::Gzip] {
        let serving = Serving::start(&["--grpc", "--fail-first", "1", "--retry-delay-ms", "400"]);
        let (relay, counted) = counting_relay(serving.next_line().trim());
        let endpoint = format!("http://{relay}");
        let exporter = OtlpExporter::builder()
            .endpoint(&endpoint)
            .protocol(Protocol::Grpc)
            .compression(compression)
            .header("x-api-key", "secret")
            .retry(tracekit_otlp::Retry {
                initial_backoff: std::time::Duration::from_millis(10),
                max_backoff: std::time::Duration::from_millis(40),
                max_elapsed: std::time::Duration::from_secs(30),
            })
            .build()
            .unwrap();
        assert_eq!(exporter.url(), endpoint, "no path appended over gRPC");
        let builder = Tracer::builder()
            .service_name("shop")
            .resource_attribute("team", "payments")
            .exporter(exporter);
        let started = std::time::Instant::now();
        let records = support::spans_through(builder);
        assert!(
            started.elapsed() >= std::time::Duration::from_millis(400),
            "the wait the status asked for"
        );
        let received: Value = serde_json::from_str(&serving.next_line()).expect("the peer's line");
        assert_eq!(received["metadata"]["x-api-key"], "secret");
        check(&received["groups"], &records, &resource());
        assert!(serving.is_quiet(), "delivered once");
        sent.push(counted.load(std::sync::atomic::Ordering::SeqCst));
    }
    assert!(
        sent[1] < sent[0],
        "gzipped calls send fewer bytes: {sent:?}"
    );
}

/// A relay on loopback to the peer's `port` that counts the bytes the
/// client sends through it.
#[cfg(feature = "grpc")]
fn counting_relay(
    port: &str,
) -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::io::Read;
    use std::net::{TcpListener, TcpStream};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let relay = listener.local_addr().unwrap();
    let target = format!("127.0.0.1:{port}");
    let counted = Arc::new(AtomicUsize::new(0));
    let count = counted.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let server = TcpStream::connect(&target).unwrap();
            let (mut from_client, mut to_server) =
                (client.try_clone().unwrap(), server.try_clone().unwrap());
            let (mut from_server, mut to_client) = (server, client);
            let count = count.clone();
            std::thread::spawn(move || {
                let mut buf = [0; 16 * 1024];
                while let Ok(n @ 1..) = from_client.read(&mut buf) {
                    count.fetch_add(n, Ordering::SeqCst);
                    if to_server.write_all(&buf[..n]).is_err() {
                        return;
                    }
                }
            });
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut from_server, &mut to_client);
            });
        }
    });
    (relay, counted)
}
