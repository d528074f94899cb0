//! Threads come and go without leaving anything behind: a thread that
//! exits lets its buffer go (after queuing what it held), and spans made
//! while a thread is being torn down (in a thread-local's destructor) are
//! exported like any other, with counters that agree.

use std::time::Duration;

use tracekit::export::{BatchConfig, Memory};
use tracekit::{Tracer, traced};

#[traced]
fn step(n: u32) -> u32 {
    n + 1
}

/// Makes spans from its destructor, which runs while the thread exits.
struct TracesWhenDropped;

impl Drop for TracesWhenDropped {
    fn drop(&mut self) {
        for n in 0..200 {
            step(n);
            let span = tracekit::global().span("by hand").start();
            let _scope = span.activate();
            step(n);
        }
    }
}

thread_local! {
    static LATE: TracesWhenDropped = const { TracesWhenDropped };
}

#[test]
fn threads_that_exit_leave_no_buffer_and_their_teardown_spans_are_exported() {
    let memory = Memory::new();
    let _guard = Tracer::builder()
        .exporter(memory.clone())
        .batch(BatchConfig {
            max_queue_size: 1 << 20,
            schedule_delay: Duration::from_secs(3600),
            ..BatchConfig::default()
        })
        .install();
    let tracer = tracekit::global();

    // Churn: many short threads, each tracing a little.
    for round in 0..20 {
        let threads: Vec<_> = (0..50)
            .map(|n| std::thread::spawn(move || step(round * 50 + n)))
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
    }
    assert_eq!(tracer.stats().threads, 0, "no exited thread keeps a buffer");

    // A thread whose thread-local makes spans as the thread is torn down.
    std::thread::spawn(|| {
        LATE.with(|_| ());
        step(0);
    })
    .join()
    .unwrap();

    tracer.flush().unwrap();
    let stats = tracer.stats();
    let expected = 1000 + 1 + 200 * 3;
    assert_eq!(stats.spans_started, expected, "{stats:?}");
    assert_eq!(stats.spans_finished, expected, "{stats:?}");
    assert_eq!(stats.spans_exported, expected, "{stats:?}");
    assert_eq!(stats.threads, 0);
    let spans = memory.spans();
    assert_eq!(spans.len() as u64, expected);
    let by_hand: Vec<_> = spans.iter().filter(|s| s.name == "by hand").collect();
    assert_eq!(by_hand.len(), 200);
    let nested = spans
        .iter()
        .filter(|s| s.name == "step" && by_hand.iter().any(|h| Some(h.span_id) == s.parent_id))
        .count();
    assert_eq!(
        nested, 200,
        "spans made in teardown still find their parent"
    );
}
