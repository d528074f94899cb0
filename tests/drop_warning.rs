//! Dropping is never silent: the first dropped span writes one warning to
//! stderr, and later drops only count. The scenario runs in a child process
//! (this same test binary) so its stderr can be read.

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

#[test]
fn the_first_drop_writes_one_warning_to_stderr() {
    if std::env::var_os(CHILD).is_some() {
        // The child: overflow a queue of 10 a few thousand times over.
        let tracer = Tracer::builder()
            .exporter(Stuck)
            .batch(BatchConfig {
                max_queue_size: 10,
                max_export_batch_size: 1,
                ..BatchConfig::default()
            })
            .build();
        for _ in 0..5_000 {
            tracer.span("overflow").start().finish();
        }
        let stats = tracer.stats();
        assert!(stats.dropped_queue_full > 4_000, "{stats:?}");
        return;
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "the_first_drop_writes_one_warning_to_stderr",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed: {stderr}");
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("tracekit:"))
        .collect();
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
