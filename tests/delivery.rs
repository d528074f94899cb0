//! A finished span reaches the exporters within the schedule delay,
//! whatever its thread does next: it may stay inside an outer span (a
//! `serve` loop, a worker that handles jobs under one span) and block for
//! good right after. No flush is involved; the exporter thread takes the
//! span from where its thread left it.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use tracekit::export::{BatchConfig, Memory};
use tracekit::{Tracer, traced};

const SCHEDULE_DELAY: Duration = Duration::from_millis(100);

/// How late a span may arrive: the delay, plus what a slow, busy machine
/// adds to the exporter's wake-up and export. Far below "never" (the bug)
/// and below the seconds a pipeline that waits for a thread's next
/// hand-over would take.
const PATIENCE: Duration = Duration::from_secs(1);

fn prompt() -> BatchConfig {
    BatchConfig {
        schedule_delay: SCHEDULE_DELAY,
        ..BatchConfig::default()
    }
}

/// Waits until `memory` holds a span named `name`; false after PATIENCE.
fn arrives(memory: &Memory, name: &str) -> bool {
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        if memory.spans().iter().any(|s| s.name == name) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    false
}

#[traced]
fn job(n: u32, other: &Tracer) -> u32 {
    other.span("bookkeeping").start().finish();
    n
}

/// A worker that handles one job under its long-lived span, says so, then
/// waits for a message that never comes.
#[traced]
fn serve(other: &Tracer, handled: mpsc::Sender<()>, stop: mpsc::Receiver<()>) {
    job(1, other);
    handled.send(()).unwrap();
    let _ = stop.recv();
}

#[test]
fn spans_of_a_thread_blocked_inside_an_outer_span_arrive_within_the_delay() {
    let memory = Memory::new();
    let _guard = Tracer::builder()
        .exporter(memory.clone())
        .batch(prompt())
        .install();
    let other_memory = Memory::new();
    let other = Tracer::builder()
        .exporter(other_memory.clone())
        .batch(prompt())
        .build();

    let (handled_tx, handled) = mpsc::channel();
    let (stop, stop_rx) = mpsc::channel();
    let worker = {
        let other = other.clone();
        std::thread::spawn(move || serve(&other, handled_tx, stop_rx))
    };
    handled.recv().unwrap();
    let finished = Instant::now();

    assert!(
        arrives(&memory, "job"),
        "the job's span reached the exporter"
    );
    assert!(
        arrives(&other_memory, "bookkeeping"),
        "so did the other tracer's span"
    );
    assert!(
        finished.elapsed() < PATIENCE,
        "both arrived within {PATIENCE:?}"
    );
    assert!(
        memory.spans().iter().all(|s| s.name != "serve"),
        "the outer span is still running"
    );
    let stats = tracekit::global().stats();
    assert_eq!((stats.spans_started, stats.spans_finished), (2, 1));

    stop.send(()).unwrap();
    worker.join().unwrap();
    assert!(arrives(&memory, "serve"));
}
