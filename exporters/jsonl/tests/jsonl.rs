//! The JSON-lines exporter: every span is one line in the documented
//! schema, read back field by field; processes appending to one file at
//! once leave whole lines, none lost.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, UNIX_EPOCH};

use serde_json::Value;
use tracekit_jsonl::{JsonLines, SCHEMA};
use tracekit_runtime::export::Memory;
use tracekit_runtime::{BatchConfig, SpanKind, SpanRecord, Tracer};

fn temp_file(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("tracekit-{name}-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

fn lines(path: &PathBuf) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("{err}: {line}")))
        .collect()
}

/// A request continued from another process, with a failing child that
/// has tags of every type, a log and baggage, and a job that follows from
/// it; written to `path` and kept in memory.
fn write_spans(path: &PathBuf) -> Vec<SpanRecord> {
    let memory = Memory::new();
    let tracer = Tracer::builder()
        .service_name("shop")
        .resource_attribute("team", "payments")
        .exporter(memory.clone())
        .exporter(JsonLines::append(path).unwrap())
        .build();
    let headers: HashMap<String, String> = [
        (
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03",
        ),
        ("tracestate", "congo=t61rcWkgMzE"),
        ("baggage", "tenant=acme"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let remote = tracer.extract(&headers).unwrap();
    let server = tracer
        .span("GET /cart")
        .child_of(&remote)
        .kind(SpanKind::Server)
        .start();
    let query = tracer
        .span("query \"carts\"\n")
        .child_of(server.context())
        .tag("ok", false)
        .tag("rows", -3)
        .tag("bytes", u64::MAX)
        .tag("ratio", 0.5)
        .tag("db", "carts")
        .start();
    query.log([("event", "retry"), ("attempt", "2")]);
    query.record_error("Timeout", "no answer");
    let request = server.context();
    query.finish();
    server.finish();
    tracer
        .span("job")
        .ignore_active()
        .follows_from(&request)
        .start()
        .finish();
    tracer.flush().unwrap();
    memory.spans()
}

fn nanos(time: std::time::SystemTime) -> String {
    time.duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        .to_string()
}

#[test]
fn every_span_is_one_line_in_the_schema() {
    let path = temp_file("schema");
    let records = write_spans(&path);
    let lines = lines(&path);
    assert_eq!(lines.len(), records.len());
    for record in &records {
        let line = lines
            .iter()
            .find(|l| l["span_id"] == record.span_id.to_string())
            .expect("a line per span");
        assert_eq!(line["schema"], SCHEMA);
        assert_eq!(line["trace_id"], record.trace_id.to_string());
        assert_eq!(line["trace_id"].as_str().unwrap().len(), 32);
        let parent = record.parent_id.map(|id| Value::from(id.to_string()));
        assert_eq!(line["parent_id"], parent.unwrap_or(Value::Null));
        assert_eq!(line["parent_is_remote"], record.parent_is_remote);
        assert_eq!(line["name"], record.name.as_ref());
        assert_eq!(line["kind"], record.kind.as_str());
        assert_eq!(line["start_unix_nano"], nanos(record.start));
        assert_eq!(line["end_unix_nano"], nanos(record.end));
        assert_eq!(line["trace_state"], record.trace_state.as_str());
        assert_eq!(line["random_trace_id"], record.random_trace_id);
        assert_eq!(line["error"], record.is_error());
        let keys = |object: &Value| {
            let mut keys: Vec<String> = object.as_object().unwrap().keys().cloned().collect();
            keys.sort();
            keys
        };
        let mut tag_keys: Vec<String> = record.tags.iter().map(|(k, _)| k.to_string()).collect();
        tag_keys.sort();
        assert_eq!(keys(&line["tags"]), tag_keys);
        assert_eq!(line["logs"].as_array().unwrap().len(), record.logs.len());
        for (log, logged) in line["logs"].as_array().unwrap().iter().zip(&record.logs) {
            assert_eq!(log["time_unix_nano"], nanos(logged.timestamp));
            assert_eq!(keys(&log["fields"]).len(), logged.fields.len());
        }
        for (cause, context) in line["follows_from"]
            .as_array()
            .unwrap()
            .iter()
            .zip(&record.follows_from)
        {
            assert_eq!(cause["trace_id"], context.trace_id().to_string());
            assert_eq!(cause["span_id"], context.span_id().to_string());
        }
        for (key, value) in record.baggage.iter() {
            assert_eq!(line["baggage"][key], value);
        }
        assert_eq!(line["resource"]["service.name"], "shop");
        assert_eq!(line["resource"]["team"], "payments");
        assert_eq!(line["resource"]["telemetry.sdk.name"], "tracekit");
    }
    let query = lines
        .iter()
        .find(|l| l["name"] == "query \"carts\"\n")
        .unwrap();
    // Each tag keeps its JSON type.
    assert_eq!(query["tags"]["ok"], false);
    assert_eq!(query["tags"]["rows"], -3);
    assert_eq!(query["tags"]["bytes"], u64::MAX, "exact, as a JSON number");
    assert_eq!(query["tags"]["ratio"], 0.5);
    assert_eq!(query["tags"]["db"], "carts");
    assert_eq!(query["tags"]["error"], true);
    assert_eq!(query["tags"]["error.type"], "Timeout");
    let retry = &query["logs"][0]["fields"];
    assert_eq!(
        (&retry["event"], &retry["attempt"]),
        (&Value::from("retry"), &Value::from("2"))
    );
    assert_eq!(query["baggage"]["tenant"], "acme");
    let job = lines.iter().find(|l| l["name"] == "job").unwrap();
    assert_eq!(job["follows_from"].as_array().unwrap().len(), 1);
    std::fs::remove_file(&path).unwrap();
}

/// Run as a child process by the test below: writes `SPANS` spans to the
/// file in `TRACEKIT_JSONL_CHILD`, in batches of 7.
#[test]
fn child_writer() {
    let Ok(path) = std::env::var("TRACEKIT_JSONL_CHILD") else {
        return;
    };
    let tracer = Tracer::builder()
        .exporter(JsonLines::append(&path).unwrap())
        .batch(BatchConfig {
            max_export_batch_size: 7,
            max_queue_size: 100_000,
            schedule_delay: Duration::from_millis(1),
            export_timeout: Duration::from_secs(30),
        })
        .build();
    for n in 0..SPANS {
        tracer
            .span(format!("span {n} {}", "x".repeat(n % 300)))
            .start()
            .finish();
    }
    tracer.flush().unwrap();
}

const SPANS: usize = 2_000;
const WRITERS: usize = 4;

#[test]
fn processes_appending_to_one_file_leave_whole_lines() {
    let path = temp_file("shared");
    let children: Vec<_> = (0..WRITERS)
        .map(|_| {
            Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "child_writer", "--quiet"])
                .env("TRACEKIT_JSONL_CHILD", &path)
                .stdout(Stdio::null())
                .spawn()
                .expect("a writer starts")
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let lines = lines(&path);
    assert_eq!(lines.len(), WRITERS * SPANS, "every span, once");
    assert!(lines.iter().all(|line| line["schema"] == SCHEMA));
    std::fs::remove_file(&path).unwrap();
}
