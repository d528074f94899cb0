//! Exported span times are wall-clock times: a span's start and end lie
//! within a millisecond of `SystemTime::now()` read just before and just
//! after the work, through an exporter and through `testing::capture`, from
//! the first span of the process on.

use std::time::{Duration, SystemTime};

use tracekit::export::{BatchConfig, Memory};
use tracekit::{SpanRecord, Tracer, testing, traced};

const TOLERANCE: Duration = Duration::from_millis(1);

/// Asserts that `span` started after `before` and ended before `after`,
/// give or take the tolerance.
fn assert_between(span: &SpanRecord, before: SystemTime, after: SystemTime) {
    let early = span
        .start
        .checked_add(TOLERANCE)
        .is_some_and(|start| start < before);
    assert!(
        !early,
        "{}: start {:?} before the work began",
        span.name,
        before.duration_since(span.start)
    );
    let late = span
        .end
        .checked_sub(TOLERANCE)
        .is_some_and(|end| end > after);
    assert!(
        !late,
        "{}: end {:?} after the work ended",
        span.name,
        span.end.duration_since(after)
    );
    assert!(span.start <= span.end);
}

#[traced]
fn work() -> u64 {
    std::thread::sleep(Duration::from_millis(2));
    7
}

#[test]
fn exported_times_match_the_wall_clock_read_around_the_work() {
    let memory = Memory::new();
    let tracer = Tracer::builder()
        .exporter(memory.clone())
        .batch(BatchConfig {
            schedule_delay: Duration::from_secs(3600),
            ..BatchConfig::default()
        })
        .build();
    for _ in 0..20 {
        let before = SystemTime::now();
        let span = tracer.span("timed").start();
        std::thread::sleep(Duration::from_millis(1));
        span.finish();
        let after = SystemTime::now();
        tracer.flush().unwrap();
        let spans = memory.take();
        assert_eq!(spans.len(), 1);
        assert_between(&spans[0], before, after);
    }
}

#[test]
fn captured_times_match_the_wall_clock_read_around_the_work() {
    for _ in 0..20 {
        let before = SystemTime::now();
        let (_, spans) = testing::capture(work);
        let after = SystemTime::now();
        assert_eq!(spans.len(), 1);
        assert_between(&spans[0], before, after);
    }
}
