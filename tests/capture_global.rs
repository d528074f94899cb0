//! `testing::capture` and the global tracer work together: a capture
//! records its trace whatever the global sampler says, and a tracer
//! installed after a capture (which stands in a silent tracer) becomes the
//! global one. Each scenario needs a process of its own (the global tracer
//! is set once), so each runs in a child process of this test binary.

use std::process::Command;

use tracekit::export::Memory;
use tracekit::{InstallError, Sampler, Tracer, testing, traced};

const CHILD: &str = "TRACEKIT_CAPTURE_GLOBAL_CHILD";

/// Runs `scenario` in a child process (this binary, only that test) when
/// called from the test harness; runs it here when this is the child.
fn in_own_process(test: &str, scenario: impl FnOnce()) {
    if std::env::var_os(CHILD).is_some() {
        scenario();
        return;
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{test} failed in its process:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[traced]
fn checkout(user_id: u64) -> u64 {
    user_id
}

#[test]
fn a_capture_records_its_trace_under_a_global_never_sampler() {
    in_own_process(
        "a_capture_records_its_trace_under_a_global_never_sampler",
        || {
            let memory = Memory::new();
            let _guard = Tracer::builder()
                .sampler(Sampler::never())
                .exporter(memory.clone())
                .install();
            let (_, spans) = testing::capture(|| checkout(7));
            assert_eq!(spans.len(), 1, "{spans:?}");
            assert_eq!(spans[0].name, "checkout");

            checkout(8);
            tracekit::global().flush().unwrap();
            let exported: Vec<_> = memory.spans().iter().map(|s| s.name.clone()).collect();
            assert_eq!(exported, ["checkout"], "only the captured call records");
        },
    );
}

#[test]
fn a_tracer_installed_after_a_capture_becomes_the_global_one() {
    in_own_process(
        "a_tracer_installed_after_a_capture_becomes_the_global_one",
        || {
            let (_, spans) = testing::capture(|| checkout(1));
            assert_eq!(spans.len(), 1);

            let memory = Memory::new();
            let guard = Tracer::builder()
                .exporter(memory.clone())
                .try_install()
                .expect("the capture's silent tracer gives way");
            checkout(2);
            guard.flush().unwrap();
            assert_eq!(memory.spans().len(), 1);
            assert_eq!(
                tracekit::global().stats().spans_exported,
                1,
                "the global tracer is the installed one"
            );

            let (_, spans) = testing::capture(|| checkout(3));
            assert_eq!(spans.len(), 1, "captures still work");

            let again = Tracer::builder().exporter(Memory::new()).try_install();
            assert_eq!(again.err(), Some(InstallError::AlreadyInstalled));
        },
    );
}
