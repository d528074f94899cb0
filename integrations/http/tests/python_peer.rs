//! Interoperability with the Python original's own stack: a tracekit
//! client calls a FastAPI app instrumented by OpenTelemetry
//! (`interop/fastapi_app.py`, its FastAPI and requests instrumentations,
//! pinned in `interop/requirements.txt`), which calls back a tracekit
//! server with `requests`. The spans of both languages share one trace,
//! each with the right parent: the Python ones as the Python SDK's
//! in-memory exporter holds them, the Rust ones through `testing::capture`.
//!
//! The test command (`scripts/test-all.sh`) creates the virtualenv and sets
//! `TRACEKIT_PYTHON`. Without the peer this test fails; it never skips.

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use axum::Router;
use axum::routing::get;
use serde_json::Value;
use support::{client, of_kind, serve};
use tracekit::{SpanKind, testing, traced};
use tracekit_http::ServerLayer;

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

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The FastAPI app, running; killed when dropped.
struct FastApi {
    child: Child,
    port: u16,
}

impl FastApi {
    fn start() -> FastApi {
        let mut child = Command::new(python())
            .arg(repository().join("interop/fastapi_app.py"))
            .stdout(Stdio::piped())
            .spawn()
            .expect("the FastAPI peer starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut line)
            .expect("its port");
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("a port, not {line:?}"));
        FastApi { child, port }
    }
}

impl Drop for FastApi {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[traced]
fn count_pears() -> u32 {
    12
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trace_crosses_from_rust_to_opentelemetry_python_and_back() {
    let rust_server = serve(
        Router::new()
            .route("/pears", get(|| async { count_pears().to_string() }))
            .layer(ServerLayer::new()),
    )
    .await;
    let fastapi = FastApi::start();

    let (relayed, rust_spans) = testing::capture_async(async {
        let url = format!(
            "http://127.0.0.1:{}/relay?target=http://{rust_server}/pears",
            fastapi.port
        );
        let response = client().get(url).send().await.expect("FastAPI answers");
        assert_eq!(response.status(), 200);
        serde_json::from_str::<Value>(&response.text().await.expect("a body")).expect("JSON")
    })
    .await;
    assert_eq!(relayed["relayed"], "12");

    let python_spans = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("http://127.0.0.1:{}/spans", fastapi.port))
        .send()
        .await
        .expect("the Python spans")
        .text()
        .await
        .expect("a body");
    let python_spans: Vec<Value> = serde_json::from_str(&python_spans).expect("JSON");

    let rust_client = of_kind(&rust_spans, SpanKind::Client);
    let rust_server = of_kind(&rust_spans, SpanKind::Server);
    let rust_handler = rust_spans
        .iter()
        .find(|s| s.name == "count_pears")
        .expect("the handler's span");
    let python = |kind: &str| {
        python_spans
            .iter()
            .find(|s| s["kind"] == kind)
            .unwrap_or_else(|| panic!("a Python {kind} span in {python_spans:#?}"))
    };
    let (python_server, python_client) = (python("SERVER"), python("CLIENT"));

    let trace = rust_client.trace_id.to_string();
    for span in &python_spans {
        assert_eq!(span["trace_id"], trace.as_str(), "{span}");
    }
    assert_eq!(rust_server.trace_id, rust_client.trace_id);

    // Rust client -> Python server -> Python client -> Rust server -> handler.
    assert_eq!(python_server["name"], "GET /relay");
    assert_eq!(
        python_server["parent_id"],
        rust_client.span_id.to_string().as_str()
    );
    assert_eq!(python_server["parent_is_remote"], true);
    assert_eq!(python_client["trace_id"], python_server["trace_id"]);
    assert_ne!(python_client["parent_id"], Value::Null);
    assert_eq!(
        rust_server.parent_id.map(|id| id.to_string()).as_deref(),
        python_client["span_id"].as_str()
    );
    assert!(rust_server.parent_is_remote);
    assert_eq!(rust_server.name, "GET /pears");
    assert_eq!(rust_handler.parent_id, Some(rust_server.span_id));
}
