//! Shutdown is bounded and says what it lost; a process that ends through
//! `std::process::exit`, or returns after forgetting the guard, still
//! delivers its spans when it asked for `flush_at_exit`. Each scenario
//! runs in a child process of this test binary, so its exit, its stderr
//! and what its exporter wrote can be seen from here.

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use tracekit::export::{BatchConfig, ExportError, Exporter};
use tracekit::{SpanRecord, Tracer, traced};

const CHILD: &str = "TRACEKIT_SHUTDOWN_CHILD";
const OUT: &str = "TRACEKIT_SHUTDOWN_OUT";

/// Appends the name of every span it exports to the file `$OUT`.
struct ToFile;

impl Exporter for ToFile {
    fn export(&mut self, batch: &[SpanRecord]) -> Result<(), ExportError> {
        let path = std::env::var(OUT).map_err(|e| ExportError::Backend(e.to_string()))?;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        for span in batch {
            writeln!(file, "{}", span.name)?;
        }
        Ok(())
    }
}

/// Never returns from an export, like a backend that stopped answering.
struct Stalled;

impl Exporter for Stalled {
    fn export(&mut self, _: &[SpanRecord]) -> Result<(), ExportError> {
        std::thread::sleep(Duration::from_secs(3600));
        Ok(())
    }
}

fn patient() -> BatchConfig {
    BatchConfig {
        schedule_delay: Duration::from_secs(3600),
        ..BatchConfig::default()
    }
}

#[traced]
fn job(n: u32) -> u32 {
    n
}

/// Runs `test` alone in a child process; returns its stderr and the lines
/// its exporter wrote.
fn in_child(test: &str) -> (String, Vec<String>) {
    let out = std::env::temp_dir().join(format!("tracekit-{test}-{}", std::process::id()));
    let _ = std::fs::remove_file(&out);
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env(OUT, &out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{test} failed: {stderr}");
    let written = std::fs::read_to_string(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    (stderr, written.lines().map(str::to_owned).collect())
}

/// Installs a tracer writing to `$OUT` and asks for the exit flush.
fn install_with_exit_flush() -> tracekit::TracerGuard {
    let guard = Tracer::builder()
        .exporter(ToFile)
        .batch(patient())
        .install();
    tracekit::flush_at_exit();
    guard
}

fn is_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

#[test]
fn dropping_the_guard_with_a_stalled_exporter_waits_only_the_shutdown_timeout() {
    if is_child() {
        let guard = Tracer::builder()
            .exporter(Stalled)
            .batch(patient())
            .shutdown_timeout(Duration::from_millis(300))
            .install();
        job(1);
        job(2);
        let started = Instant::now();
        drop(guard);
        // Far below the export timeout (30 s), which it waited before.
        assert!(started.elapsed() < Duration::from_secs(10));
        return;
    }
    let (stderr, _) =
        in_child("dropping_the_guard_with_a_stalled_exporter_waits_only_the_shutdown_timeout");
    let line = stderr
        .lines()
        .find(|l| l.starts_with("tracekit: at shutdown"))
        .unwrap_or_else(|| panic!("no shutdown report: {stderr}"));
    assert!(line.contains("timed out"), "{line}");
    assert!(line.contains("2 not delivered"), "{line}");
}

#[test]
fn process_exit_delivers_every_finished_span_after_flush_at_exit() {
    if is_child() {
        let guard = install_with_exit_flush();
        let worker = std::thread::spawn(|| {
            for n in 0..50 {
                job(n);
            }
        });
        worker.join().unwrap();
        for n in 0..50 {
            job(n);
        }
        let _keep = guard;
        std::process::exit(0);
    }
    let (_, written) = in_child("process_exit_delivers_every_finished_span_after_flush_at_exit");
    assert_eq!(written.len(), 100, "{written:?}");
    assert!(written.iter().all(|name| name == "job"));
}

#[test]
fn a_forgotten_guard_still_delivers_at_exit_after_flush_at_exit() {
    if is_child() {
        std::mem::forget(install_with_exit_flush());
        for n in 0..30 {
            job(n);
        }
        // The test returns, then the harness returns from `main`.
        return;
    }
    let (_, written) = in_child("a_forgotten_guard_still_delivers_at_exit_after_flush_at_exit");
    assert_eq!(written.len(), 30, "{written:?}");
}
