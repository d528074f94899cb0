//! The scope stack: which span is active, and what happens when scopes
//! close out of order.

use tracekit::{SpanRecord, testing, with_active_span};

fn parent_name<'a>(spans: &'a [SpanRecord], child: &str) -> Option<&'a str> {
    let child = spans.iter().find(|s| s.name == child)?;
    let parent = child.parent_id?;
    spans
        .iter()
        .find(|s| s.span_id == parent)
        .map(|s| s.name.as_ref())
}

#[test]
fn the_most_recently_activated_span_is_the_parent() {
    let ((), spans) = testing::capture(|| {
        let tracer = tracekit::global();
        let a = tracer.span("a").start();
        let _a = a.activate();
        let b = tracer.span("b").start();
        let _b = b.activate();
        tracer.span("c").start().finish();
    });
    assert_eq!(parent_name(&spans, "c"), Some("b"));
    assert_eq!(parent_name(&spans, "b"), Some("a"));
}

#[test]
fn closing_an_outer_scope_first_leaves_the_inner_span_active() {
    let ((), spans) = testing::capture(|| {
        let tracer = tracekit::global();
        let a = tracer.span("a").start();
        let b = tracer.span("b").start();
        let scope_a = a.activate();
        let scope_b = b.activate();
        drop(scope_a); // out of order
        tracer.span("under_b").start().finish();
        drop(scope_b);
        tracer.span("under_nothing").start().finish();
    });
    assert_eq!(parent_name(&spans, "under_b"), Some("b"));
    assert_eq!(
        spans
            .iter()
            .find(|s| s.name == "under_nothing")
            .unwrap()
            .parent_id,
        None
    );
}

#[test]
fn interleaved_scopes_in_any_drop_order_restore_the_right_span() {
    // Activate a, b, c, d; close b and d; the active span must be c, then a.
    let ((), spans) = testing::capture(|| {
        let tracer = tracekit::global();
        let spans: Vec<_> = ["a", "b", "c", "d"]
            .iter()
            .map(|n| tracer.span(*n).start())
            .collect();
        let mut scopes: Vec<_> = spans.iter().map(|s| Some(s.activate())).collect();
        scopes[1].take();
        scopes[3].take();
        tracer.span("under_c").start().finish();
        scopes[2].take();
        tracer.span("under_a").start().finish();
        scopes[0].take();
    });
    assert_eq!(parent_name(&spans, "under_c"), Some("c"));
    assert_eq!(parent_name(&spans, "under_a"), Some("a"));
}

#[test]
fn a_scope_outliving_its_span_keeps_its_context_for_children() {
    let ((), spans) = testing::capture(|| {
        let tracer = tracekit::global();
        let scope;
        {
            let short = tracer.span("short").start();
            scope = short.activate();
            // `short` finishes here, while its scope is still open.
        }
        tracer.span("child").start().finish();
        drop(scope);
    });
    assert_eq!(parent_name(&spans, "child"), Some("short"));
}

#[test]
fn forgetting_a_scope_does_not_corrupt_the_stack_for_later_scopes() {
    let ((), spans) = testing::capture(|| {
        let tracer = tracekit::global();
        let leaked = tracer.span("leaked").start();
        std::mem::forget(leaked.activate());
        let fresh = tracer.span("fresh").start();
        let scope = fresh.activate();
        tracer.span("under_fresh").start().finish();
        drop(scope);
        tracer.span("under_leaked").start().finish();
    });
    assert_eq!(parent_name(&spans, "under_fresh"), Some("fresh"));
    assert_eq!(parent_name(&spans, "under_leaked"), Some("leaked"));
}

#[test]
fn with_active_span_reaches_the_active_span_or_returns_none() {
    let (outside, spans) = testing::capture(|| {
        let span = tracekit::global().span("active").start();
        {
            let _scope = span.activate();
            with_active_span(|s| s.set_tag("touched", true)).unwrap();
        }
        drop(span);
        with_active_span(|_| ()).is_some()
    });
    assert!(!outside, "the capture root is a context, not a local span");
    assert!(spans[0].tag("touched").is_some());
}

#[test]
fn with_active_span_may_start_and_activate_spans_inside() {
    let ((), spans) = testing::capture(|| {
        let outer = tracekit::global().span("outer").start();
        let _scope = outer.activate();
        with_active_span(|s| {
            s.set_tag("before", 1);
            let inner = tracekit::global().span("inner").start();
            let _inner_scope = inner.activate();
            with_active_span(|s| s.set_tag("nested", 2));
        });
    });
    assert_eq!(parent_name(&spans, "inner"), Some("outer"));
    assert!(
        spans
            .iter()
            .find(|s| s.name == "inner")
            .unwrap()
            .tag("nested")
            .is_some()
    );
}
