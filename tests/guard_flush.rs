//! Dropping the guard returned by `install` flushes: a program that ends
//! normally loses no span, even with a schedule delay far longer than it runs.

use std::time::Duration;

use tracekit::export::{BatchConfig, Memory};
use tracekit::traced;

#[traced]
fn step(i: u32) -> u32 {
    i
}

#[traced]
fn job(steps: u32) -> u32 {
    (0..steps).map(step).sum()
}

#[test]
fn dropping_the_guard_exports_every_finished_span() {
    let memory = Memory::new();
    let guard = tracekit::Tracer::builder()
        .exporter(memory.clone())
        .batch(BatchConfig {
            schedule_delay: Duration::from_secs(3600),
            ..BatchConfig::default()
        })
        .install();
    job(10);
    let workers: Vec<_> = (0..4).map(|_| std::thread::spawn(|| job(5))).collect();
    for worker in workers {
        worker.join().unwrap();
    }
    assert!(memory.spans().is_empty(), "nothing was due yet");
    drop(guard);
    assert_eq!(memory.spans().len(), 11 + 4 * 6);
    let stats = tracekit::global().stats();
    assert_eq!(
        (stats.spans_finished, stats.spans_exported, stats.dropped()),
        (35, 35, 0)
    );
}
