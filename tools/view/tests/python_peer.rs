//! Ingest from OpenTelemetry's own Python SDK and OTLP/HTTP exporter
//! (`interop/view_sender.py`, in the test command's virtualenv): the
//! trace it sends is kept with its nesting, kinds, attributes, event and
//! error status. Without the virtualenv this test fails; it never skips.

mod support;

use std::process::Command;

use serde_json::Value;
use support::{python, remove_store, repository, store_path, viewer};

#[test]
fn a_trace_from_opentelemetrys_python_sdk_is_kept_whole() {
    let store = store_path("python");
    let viewer = viewer(&store, 256 << 20);
    let out = Command::new(python())
        .arg(repository().join("interop/view_sender.py"))
        .arg(format!("http://{}", viewer.address()))
        .output()
        .expect("the Python sender runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trace_id = String::from_utf8(out.stdout).unwrap().trim().to_owned();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = format!("http://{}/api/traces/{trace_id}", viewer.address());
    let text = runtime.block_on(async { reqwest::get(url).await.unwrap().text().await.unwrap() });
    let trace: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{text}"));
    let spans = trace["spans"].as_array().unwrap();
    assert_eq!(spans.len(), 2, "{trace}");
    let root = spans.iter().find(|s| s["name"] == "POST /orders").unwrap();
    let charge = spans.iter().find(|s| s["name"] == "charge card").unwrap();
    assert_eq!(root["parent_id"], Value::Null);
    assert_eq!(charge["parent_id"], root["span_id"]);
    assert_eq!(root["service"], "python-shop");
    assert_eq!(root["kind"], "server");
    assert_eq!(charge["kind"], "client");
    assert_eq!(root["detail"]["tags"]["http.route"], "/orders");
    assert_eq!(root["detail"]["tags"]["order.items"], 3);
    assert_eq!(charge["error"], true);
    assert_eq!(charge["detail"]["status_message"], "card declined");
    assert_eq!(charge["detail"]["logs"][0]["name"], "retry");
    assert_eq!(charge["detail"]["logs"][0]["fields"]["attempt"], 2);
    assert_eq!(
        root["detail"]["resource"]["telemetry.sdk.language"],
        "python"
    );
    viewer.stop();
    remove_store(&store);
}
