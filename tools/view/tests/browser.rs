//! The page in a real browser: headless Chromium from the distribution's
//! packages, driven by Playwright for Python (`interop/view_browser.py`,
//! in the interop virtualenv the test command makes). The list and a
//! search, a trace of 10,000 spans drawn in order and nesting with only
//! the rows in view in the page, errors jumped to in order, a span's tags
//! shown as text (a hostile one inert), two traces compared. Screenshots
//! go to `target/tmp/view-screenshots/`. Without Chromium or the
//! virtualenv this test fails; it never skips.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use support::{python, remove_store, repository, store_path, viewer};
use tracekit::{BatchConfig, Tracer};
use tracekit_otlp::OtlpExporter;

fn chromium() -> PathBuf {
    let path = std::env::var_os("TRACEKIT_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.exists(),
        "Chromium is not installed ({}): run scripts/test-all.sh, which installs it",
        path.display()
    );
    path
}

/// A tracer of `service` sending to `viewer`, with room for a big trace.
fn tracer(viewer: &tracekit_view::Viewer, service: &'static str) -> Tracer {
    let exporter = OtlpExporter::builder()
        .endpoint(&format!("http://{}", viewer.address()))
        .build()
        .unwrap();
    Tracer::builder()
        .service_name(service)
        .exporter(exporter)
        .batch(BatchConfig {
            max_queue_size: 32_768,
            ..BatchConfig::default()
        })
        .build()
}

const HOSTILE: &str =
    "<img src=x onerror=\"window.__hostile=1\"><script>window.__hostile=1</script>";

fn checkout(viewer: &tracekit_view::Viewer) -> String {
    support::checkout(&tracer(viewer, "inventory"), ("note", HOSTILE))
}

/// 1 root, 100 children, 99 grandchildren each: 10,001 spans; a
/// grandchild of the 5th child and the 40th child fail.
fn big(viewer: &tracekit_view::Viewer) -> String {
    let tracer = tracer(viewer, "gateway");
    let root = tracer.span("batch import").start();
    let id = root.trace_id().to_string();
    for child in 0..100 {
        let parent = tracer
            .span(format!("chunk {child}"))
            .child_of(&root)
            .start();
        if child == 40 {
            parent.record_error("Timeout", "chunk timed out");
        }
        for grandchild in 0..99 {
            let row = tracer.span("row").child_of(&parent).start();
            if child == 5 && grandchild == 3 {
                row.record_error("BadRow", "a bad row");
            }
        }
        drop(parent);
        if child % 10 == 9 {
            tracer.flush().unwrap();
        }
    }
    drop(root);
    tracer.flush().unwrap();
    id
}

/// Two `GET /buy` traces: the second's first query slower, its cache
/// call gone, a payment call new.
fn compared(viewer: &tracekit_view::Viewer) -> (String, String) {
    let tracer = tracer(viewer, "shop");
    let at = |ms: u64| {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000) + Duration::from_millis(ms)
    };
    let trace = |children: &[(&'static str, u64, u64)], end: u64| {
        let root = tracer.span("GET /buy").start_time(at(0)).start();
        let id = root.trace_id().to_string();
        for (name, from, to) in children {
            tracer
                .span(*name)
                .child_of(&root)
                .start_time(at(*from))
                .start()
                .finish_at(at(*to));
        }
        root.finish_at(at(end));
        id
    };
    let a = trace(
        &[("SELECT", 0, 10), ("SELECT", 20, 30), ("cache", 40, 50)],
        100,
    );
    let b = trace(
        &[("SELECT", 0, 250), ("SELECT", 260, 270), ("pay", 280, 290)],
        300,
    );
    tracer.flush().unwrap();
    (a, b)
}

#[test]
fn the_page_in_a_real_browser() {
    let (python, chromium) = (python(), chromium());
    let store = store_path("browser");
    let viewer = viewer(&store, 256 << 20);
    let checkout = checkout(&viewer);
    let big = big(&viewer);
    let (a, b) = compared(&viewer);
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("view-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let scenario = json!({"checkout": checkout, "big": big, "compare": [a, b]});
    let out = Command::new(python)
        .arg(repository().join("interop/view_browser.py"))
        .arg(format!("http://{}", viewer.address()))
        .arg(&shots)
        .arg(chromium)
        .arg(scenario.to_string())
        .output()
        .expect("the browser script runs");
    assert!(
        out.status.success(),
        "the browser script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(&out.stdout).expect("its report");
    eprintln!(
        "the 10,000-span trace's first rows after {:.3} s (a benchmark's figure, not asserted here)",
        seen["big_first_rows_seconds"].as_f64().unwrap()
    );

    let listed: Vec<&str> = seen["listed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for id in [&checkout, &big, &a, &b] {
        assert!(listed.contains(&id.as_str()), "{id} not listed: {listed:?}");
    }
    assert_eq!(seen["searched"], json!([checkout]));
    assert!(
        seen["stats"].as_str().unwrap().contains("4 traces"),
        "{}",
        seen["stats"]
    );

    let in_page = seen["big_rows_in_page"].as_u64().unwrap();
    assert!(
        (10..200).contains(&in_page),
        "only the rows in view: {in_page}"
    );
    assert_eq!(seen["big_rows_match_tree"], true);
    assert_eq!(seen["big_last_row_shown"], true);
    let errors = seen["errors_in_order"].as_array().unwrap();
    assert_eq!(errors.len(), 2);
    assert_eq!(
        seen["error_jumps"],
        json!([errors[0], errors[1], errors[0]])
    );
    assert_eq!(seen["error_position"], "error 1 of 2");

    assert_eq!(
        seen["checkout_rows"],
        json!([
            ["GET /checkout", 0, false, true],
            ["pay", 1, true, true],
            ["check card", 2, false, true]
        ])
    );
    assert!(
        seen["detail"].as_str().unwrap().contains(HOSTILE),
        "{}",
        seen["detail"]
    );
    assert_eq!(seen["hostile_ran"], false);
    assert_eq!(seen["alerts"], json!([]));

    assert_eq!(seen["compare_url"], format!("#/compare/{a}/{b}"));
    let state = |path: &str| {
        seen["compare_rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row[0] == path)
            .map(|row| row[1].as_str().unwrap().to_owned())
    };
    assert_eq!(state("shop:GET /buy#1").as_deref(), Some("slower"));
    assert_eq!(
        state("shop:GET /buy#1 > shop:SELECT#1").as_deref(),
        Some("slower")
    );
    assert_eq!(
        state("shop:GET /buy#1 > shop:SELECT#2").as_deref(),
        Some("same")
    );
    assert_eq!(
        state("shop:GET /buy#1 > shop:cache#1").as_deref(),
        Some("disappeared")
    );
    assert_eq!(
        state("shop:GET /buy#1 > shop:pay#1").as_deref(),
        Some("appeared")
    );
    for shot in ["list.png", "big-trace.png", "checkout.png", "compare.png"] {
        assert!(shots.join(shot).exists(), "{shot} saved");
    }
    viewer.stop();
    remove_store(&store);
}
