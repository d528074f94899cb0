//! The exporter thread wakes about once a batch when spans come at a
//! moderate rate: it naps between batches only while they come fast (at
//! a few thousand spans a second, sixteen naps a batch cost it more than
//! exporting the batch). Read from the thread's own counters (Linux).
#![cfg(target_os = "linux")]

use std::time::Duration;

use tracekit::Tracer;
use tracekit::export::{BatchConfig, Memory};

#[path = "support/threads.rs"]
mod threads;

/// Times this process's thread named `name` gave up the CPU to wait.
fn waits_of(name: &str) -> Option<u64> {
    let status = threads::task_file(name, "status")?;
    let line = status
        .lines()
        .find(|line| line.starts_with("voluntary_ctxt_switches:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn spans_at_a_moderate_rate_wake_the_exporter_about_once_a_batch() {
    let memory = Memory::new();
    let tracer = Tracer::builder()
        .exporter(memory.clone())
        .batch(BatchConfig::default())
        .build();
    let batch = BatchConfig::default().max_export_batch_size;
    tracer.span("warm-up").start().finish();
    tracer.flush().unwrap();
    let before = waits_of("tracekit-export").expect("the exporter thread");
    let batches = 30;
    for _ in 0..batches {
        for _ in 0..batch {
            tracer.span("steady").start().finish();
        }
        // About 25,000 spans a second: a batch every 20 ms.
        std::thread::sleep(Duration::from_millis(20));
    }
    let waits = waits_of("tracekit-export").expect("the exporter thread") - before;
    // Napping, it woke 17 times a batch (510 here).
    assert!(
        waits <= 4 * batches as u64,
        "the exporter waited {waits} times for {batches} batches"
    );
    tracer.flush().unwrap();
    assert_eq!(memory.spans().len(), 1 + batches * batch);
}
