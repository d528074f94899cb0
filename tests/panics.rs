//! A panic finishes the span as failed, then keeps unwinding.

use std::panic::{AssertUnwindSafe, catch_unwind};

use tracekit::{SpanRecord, TagValue, testing, traced};

#[path = "support/poll.rs"]
mod poll;
use poll::poll_to_end;

#[traced]
fn explode(code: u32) -> u32 {
    if code > 0 {
        panic!("exploded with {code}");
    }
    code
}

#[traced]
fn caller() -> u32 {
    explode(7) + 1
}

fn message(span: &SpanRecord) -> Option<&str> {
    span.log_event("error")?.field("message")?.as_str()
}

#[test]
fn a_panic_marks_every_span_it_unwinds_through_and_keeps_unwinding() {
    let (caught, spans) = testing::capture(|| catch_unwind(AssertUnwindSafe(caller)));
    let payload = caught.expect_err("the panic reached the caller");
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("exploded with 7")
    );
    assert_eq!(spans.len(), 2);
    for span in &spans {
        assert!(span.is_error(), "{} not marked", span.name);
        assert_eq!(
            span.tag("error.type").and_then(TagValue::as_str),
            Some("panic")
        );
        assert_eq!(message(span), Some("exploded with 7"));
    }
    assert_eq!(spans[0].parent_id, Some(spans[1].span_id));
}

#[traced]
fn literal_panic() {
    panic!("static message");
}

#[test]
fn a_panic_with_a_literal_message_is_recorded_too() {
    let (_, spans) = testing::capture(|| catch_unwind(literal_panic));
    assert_eq!(message(&spans[0]), Some("static message"));
}

#[test]
fn after_a_panic_the_scope_stack_is_clean() {
    let ((), spans) = testing::capture(|| {
        let _ = catch_unwind(|| explode(1));
        // Had the panicked span stayed active, this would be its child.
        let after = tracekit::global().span("after").start();
        drop(after);
    });
    let after = spans.iter().find(|s| s.name == "after").unwrap();
    assert_eq!(after.parent_id, None);
}

#[traced]
async fn async_explode() {
    tokio::task::yield_now().await;
    panic!("async boom");
}

#[tokio::test]
async fn a_panic_inside_an_async_fn_is_recorded_and_propagates() {
    let ((), spans) = testing::capture_async(async {
        let task = tokio::spawn(async_explode());
        let err = task.await.expect_err("the task panicked");
        assert!(err.is_panic());
    })
    .await;
    assert!(spans[0].is_error());
    assert_eq!(message(&spans[0]), Some("async boom"));
}

fn failing_tag() -> u32 {
    panic!("tag failed")
}

/// A `tags(..)` expression panics after the span started, before the body
/// runs: the panic is noted on the span and the body runs all the same
/// (`tests/hostile_values.rs` has more).
#[traced(tags(attempt = failing_tag()))]
fn with_a_failing_tag() {}

#[test]
fn a_panic_while_recording_tags_still_ends_the_span() {
    let ((), spans) = testing::capture(|| {
        let caught = catch_unwind(with_a_failing_tag);
        assert!(caught.is_ok(), "the panic stayed inside the tracing");
        // Had the abandoned span stayed active, this would be its child.
        let after = tracekit::global().span("after").start();
        drop(after);
    });
    let after = spans.iter().find(|s| s.name == "after").unwrap();
    assert_eq!(after.parent_id, None);
    assert!(spans.iter().any(|s| s.name == "with_a_failing_tag"));
}

/// A value whose `Debug` and `Display` panic, like a buggy formatter.
struct Unshowable;

impl std::fmt::Debug for Unshowable {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        panic!("cannot show")
    }
}

impl std::fmt::Display for Unshowable {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        panic!("cannot show")
    }
}

/// With a child, its span is pushed on the stack during its poll; without
/// one, it stays lent to the polling thread.
#[traced(ret)]
async fn returns_unshowable(with_child: bool) -> Unshowable {
    if with_child {
        explode(0);
    }
    Unshowable
}

#[test]
fn a_panic_while_recording_an_async_calls_return_still_ends_the_span() {
    for with_child in [false, true] {
        let ((), spans) = testing::capture(|| {
            let caught = catch_unwind(|| poll_to_end(returns_unshowable(with_child)));
            assert!(caught.is_ok(), "the panic stayed inside the tracing");
            // Had the async call's span stayed active, this would be its child.
            let after = tracekit::global().span("after").start();
            drop(after);
        });
        let after = spans.iter().find(|s| s.name == "after").unwrap();
        assert_eq!(after.parent_id, None, "with_child: {with_child}");
        assert!(spans.iter().any(|s| s.name == "returns_unshowable"));
    }
}
