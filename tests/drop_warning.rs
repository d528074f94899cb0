//! Dropping is never silent: each kind of loss (a full queue, a failed
//! export) writes its own warning to stderr, and repeats within a minute
//! only count. The scenarios run in a child process (this same test
//! binary) so its stderr can be read.

use std::process::Command;
use std::time::Duration;

use tracekit::export::{BatchConfig, ExportError, Exporter};
use tracekit::{SpanRecord, Tracer};

/// Never takes a batch: the queue fills and the oldest spans are dropped.
struct Stuck;

impl Exporter for Stuck {
    fn export(&mut self, _: &[SpanRecord]) -> Result<(), ExportError> {
        std::thread::sleep(Duration::from_secs(3600));
        Ok(())
    }
}

const CHILD: &str = "TRACEKIT_DROP_WARNING_CHILD";

/// Runs the test `test` alone in a child process; returns its stderr.
fn child_stderr(test: &str) -> String {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "child failed: {stderr}");
    stderr
}

/// The child's work: overflows a queue of 10 spans a few thousand times
/// over, with `exporter` behind it.
fn overflow(exporter: impl Exporter) -> Tracer {
    let tracer = Tracer::builder()
        .exporter(exporter)
        .batch(BatchConfig {
            max_queue_size: 10,
            max_export_batch_size: 1,
            ..BatchConfig::default()
        })
        .build();
    for _ in 0..5_000 {
        tracer.span("overflow").start().finish();
    }
    tracer
}

/// tracekit's lines in `stderr`.
fn warnings(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("tracekit:"))
        .collect()
}

#[test]
fn the_first_drop_writes_one_warning_to_stderr() {
    if std::env::var_os(CHILD).is_some() {
        let tracer = overflow(Stuck);
        let stats = tracer.stats();
        assert!(stats.dropped_queue_full > 4_000, "{stats:?}");
        return;
    }
    let stderr = child_stderr("the_first_drop_writes_one_warning_to_stderr");
    let warnings = warnings(&stderr);
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        warnings[0].contains("export queue is full"),
        "{}",
        warnings[0]
    );
    assert!(
        warnings[0].contains("counted in Tracer::stats"),
        "{}",
        warnings[0]
    );
}

/// Takes a while, then refuses every batch.
struct SlowRefusal;

impl Exporter for SlowRefusal {
    fn export(&mut self, _: &[SpanRecord]) -> Result<(), ExportError> {
        std::thread::sleep(Duration::from_millis(20));
        Err(ExportError::Backend("connection refused".into()))
    }
}

#[test]
fn a_failed_export_is_reported_after_a_full_queue_was() {
    if std::env::var_os(CHILD).is_some() {
        let tracer = overflow(SlowRefusal);
        let _ = tracer.flush();
        let stats = tracer.stats();
        assert!(
            stats.dropped_queue_full > 0 && stats.dropped_export_failed > 1,
            "{stats:?}"
        );
        return;
    }
    let stderr = child_stderr("a_failed_export_is_reported_after_a_full_queue_was");
    let warnings = warnings(&stderr);
    assert_eq!(warnings.len(), 2, "{stderr}");
    assert!(
        warnings.iter().any(|w| w.contains("export queue is full")),
        "{stderr}"
    );
    assert!(
        warnings.iter().any(|w| w.contains("connection refused")),
        "{stderr}"
    );
}
