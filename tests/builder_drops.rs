//! A span builder that starts no span (no tracer is installed, so the
//! global tracer records nothing) frees everything it holds: its owned
//! name, its tags and its parent's baggage, whether it was to start a
//! carried span or a shared one.
//!
//! The global allocator of this test binary counts the bytes each thread
//! holds (`support/allocator.rs`).

use tracekit::{SpanContext, SpanId, SpanKind, TraceId};

#[path = "support/allocator.rs"]
mod allocator;

#[global_allocator]
static ALLOCATOR: allocator::Counting = allocator::Counting;

/// Builds and starts a span that holds memory everywhere it can.
fn start_both(round: usize, parent: &SpanContext) {
    let tracer = tracekit::global();
    let carried = tracer
        .span(format!("GET /items/{round}"))
        .kind(SpanKind::Client)
        .tag(format!("item.{round}"), "x".repeat(200))
        .child_of(parent.clone())
        .start_carried();
    assert!(carried.is_noop(), "no tracer: no span");
    drop(carried);
    let shared = tracer
        .span(format!("GET /orders/{round}"))
        .tag("order", "y".repeat(200))
        .follows_from(parent.clone())
        .start();
    drop(shared);
}

#[test]
fn a_builder_that_starts_no_span_frees_what_it_holds() {
    assert!(
        !tracekit::global().is_enabled(),
        "this binary installs no tracer"
    );
    let parent = SpanContext::new(
        TraceId::from_u128(7),
        SpanId::new(7).expect("non-zero"),
        true,
    )
    .with_baggage_item("user", "ada".repeat(50));
    start_both(0, &parent);
    let held = allocator::held();
    for round in 1..=100 {
        start_both(round, &parent);
    }
    assert_eq!(
        allocator::held(),
        held,
        "bytes still held after 100 builders"
    );
}
