//! What the bridge holds stays bounded: spans never closed, events
//! without end in a long-lived span, entries never exited.

use tracekit::{TagValue, testing};
use tracing_subscriber::layer::SubscriberExt;

#[test]
fn spans_never_closed_hold_at_most_the_open_limit() {
    let layer = tracekit_tracing::layer().max_open_spans(1_000);
    let subscriber = tracing_subscriber::registry().with(layer.clone());
    tracing::subscriber::with_default(subscriber, || {
        for n in 0..10_000 {
            // Never closed: its handle is forgotten.
            std::mem::forget(tracing::info_span!("leaked", n));
        }
        assert_eq!(layer.open_spans(), 1_000);
        assert_eq!(layer.skipped(), 9_000);
        // Closed spans make room again.
        let _held: Vec<_> = (0..10).map(|_| tracing::info_span!("held")).collect();
        assert_eq!(layer.skipped(), 9_010, "still full");
    });
}

#[test]
fn spans_closed_give_their_room_back() {
    let layer = tracekit_tracing::layer().max_open_spans(10);
    let subscriber = tracing_subscriber::registry().with(layer.clone());
    tracing::subscriber::with_default(subscriber, || {
        for _ in 0..10_000 {
            drop(tracing::info_span!("closed"));
        }
    });
    assert_eq!(layer.open_spans(), 0);
    assert_eq!(layer.skipped(), 0);
}

#[test]
fn spans_closed_after_a_skip_give_their_room_back() {
    let layer = tracekit_tracing::layer().max_open_spans(10);
    let subscriber = tracing_subscriber::registry().with(layer.clone());
    let (_, spans) = testing::capture(|| {
        tracing::subscriber::with_default(subscriber, || {
            let held: Vec<_> = (0..10).map(|_| tracing::info_span!("held")).collect();
            for _ in 0..5 {
                drop(tracing::info_span!("skipped"));
            }
            assert_eq!((layer.open_spans(), layer.skipped()), (10, 5));
            drop(held);
            assert_eq!(layer.open_spans(), 0, "the skipped ones were never counted");
            drop(tracing::info_span!("after"));
            assert_eq!((layer.open_spans(), layer.skipped()), (0, 5));
        })
    });
    let names: Vec<&str> = spans.iter().map(|span| span.name.as_ref()).collect();
    assert_eq!(names.iter().filter(|&&name| name == "held").count(), 10);
    assert!(names.contains(&"after") && !names.contains(&"skipped"));
}

#[test]
fn a_long_lived_span_keeps_at_most_its_event_limit() {
    let subscriber =
        tracing_subscriber::registry().with(tracekit_tracing::layer().max_events_per_span(100));
    let (_, spans) = testing::capture(|| {
        tracing::subscriber::with_default(subscriber, || {
            let connection = tracing::info_span!("connection");
            let _entered = connection.enter();
            for n in 0..10_000 {
                tracing::debug!(n, "frame");
            }
        })
    });
    assert_eq!(spans[0].logs.len(), 100);
    assert_eq!(
        spans[0].tag("tracing.dropped_events"),
        Some(&TagValue::I64(9_900))
    );
}

#[test]
fn entries_never_exited_do_not_pile_up_and_leave_the_context_sane() {
    let subscriber = tracing_subscriber::registry().with(tracekit_tracing::layer());
    let (_, spans) = testing::capture(|| {
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("entered forever");
            for _ in 0..10_000 {
                std::mem::forget(span.enter());
            }
            // The oldest entries were let go; the span is still active.
            assert_eq!(tracekit::context::span_id(), Some(tracekit_span_id(&span)),);
        })
    });
    assert_eq!(spans.len(), 1);
}

/// The tracekit id of a `tracing` span, read from inside it.
fn tracekit_span_id(span: &tracing::Span) -> tracekit::SpanId {
    span.in_scope(|| tracekit::context::span_id().expect("an active span"))
}
