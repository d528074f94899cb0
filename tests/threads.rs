//! Carrying the active span to other threads.

use tracekit::{SpanRecord, context, testing, traced};

#[traced]
fn work(item: u32) -> u32 {
    item * 2
}

#[traced]
fn fan_out(items: u32) -> u32 {
    let context = context::current();
    let handles: Vec<_> = (0..items)
        .map(|item| {
            let context = context.clone();
            std::thread::spawn(move || context.run(|| work(item)))
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).sum()
}

#[test]
fn spans_on_other_threads_are_children_of_the_span_that_spawned_them() {
    let (sum, spans) = testing::capture(|| fan_out(4));
    assert_eq!(sum, 12);
    let parent = spans.iter().find(|s| s.name == "fan_out").unwrap();
    let children: Vec<&SpanRecord> = spans.iter().filter(|s| s.name == "work").collect();
    assert_eq!(children.len(), 4);
    assert!(children.iter().all(|c| c.parent_id == Some(parent.span_id)));
    assert!(children.iter().all(|c| c.trace_id == parent.trace_id));
}

#[test]
fn a_thread_without_the_context_starts_its_own_trace() {
    let ((), spans) = testing::capture(|| {
        let _ = std::thread::spawn(|| work(1)).join();
    });
    assert!(
        spans.is_empty(),
        "the plain thread's span belongs to another trace"
    );
}

#[test]
fn an_empty_context_makes_spans_under_it_roots() {
    let ((), spans) = testing::capture(|| {
        let outer = tracekit::global().span("outer").start();
        let _scope = outer.activate();
        let context = tracekit::Context::default();
        context.run(|| assert!(tracekit::with_active_span(|_| ()).is_none()));
    });
    assert_eq!(spans.len(), 1);
}

#[traced]
fn tags_itself_from_another_thread() {
    // Carried over, so the other thread's span is part of this trace.
    let here = context::current();
    tracekit::with_active_span(|span| {
        span.set_tag("same_thread", true);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                // The span of a synchronous traced call lives on its thread:
                // from here the handle reaches nothing, not even the span
                // that happens to be active on this thread.
                let _context = here.attach();
                let here = tracekit::global().span("other_thread").start();
                let _scope = here.activate();
                span.set_tag("from_elsewhere", true);
                span.set_operation_name("renamed elsewhere");
            });
        });
    });
}

#[test]
fn a_traced_calls_span_cannot_be_changed_from_another_thread() {
    let ((), spans) = testing::capture(|| {
        let context = context::current();
        context.run(tags_itself_from_another_thread);
    });
    let traced = spans
        .iter()
        .find(|s| s.name == "tags_itself_from_another_thread")
        .unwrap();
    assert_eq!(
        traced.tag("same_thread"),
        Some(&tracekit::TagValue::Bool(true))
    );
    assert_eq!(traced.tag("from_elsewhere"), None);
    let other = spans.iter().find(|s| s.name == "other_thread").unwrap();
    assert_eq!(other.parent_id, Some(traced.span_id));
    assert_eq!(other.tag("from_elsewhere"), None);
}
