//! When a thread has no active span left its trace segment is complete:
//! the spans it buffered move to the export queue at once, for every tracer
//! it used, not only for the tracer whose span ended last.

use std::time::Duration;

use tracekit::export::{BatchConfig, Memory};
use tracekit::{Tracer, traced};

/// Nothing is exported unless asked, so `queued` shows what was handed over.
fn patient() -> BatchConfig {
    BatchConfig {
        schedule_delay: Duration::from_secs(3600),
        ..BatchConfig::default()
    }
}

#[traced]
fn request(other: &Tracer) {
    other.span("bookkeeping").start().finish();
}

#[test]
fn the_end_of_the_last_active_span_hands_over_the_spans_of_every_tracer() {
    let _guard = Tracer::builder()
        .exporter(Memory::new())
        .batch(patient())
        .install();
    let other = Tracer::builder()
        .exporter(Memory::new())
        .batch(patient())
        .build();

    request(&other);

    assert_eq!(tracekit::global().stats().queued, 1, "the traced call");
    assert_eq!(other.stats().queued, 1, "the other tracer's span");
}
