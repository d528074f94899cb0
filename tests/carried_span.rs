//! `CarriedSpan`: a span one future owns, active on whichever thread polls
//! it, finished when its owner is done or dropped.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tracekit::export::Memory;
use tracekit::{CarriedSpan, SpanKind, Tracer, testing, traced, with_active_span};

/// A future that owns a carried span, makes it active on each poll, and
/// finishes it when the inner future completes: what an HTTP layer does.
struct Carrying<F> {
    inner: Pin<Box<F>>,
    span: CarriedSpan,
}

impl<F: Future> Future for Carrying<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let inner = this.inner.as_mut();
        let polled = this.span.in_scope(|| inner.poll(cx));
        if polled.is_ready() {
            std::mem::replace(&mut this.span, CarriedSpan::noop()).finish();
        }
        polled
    }
}

#[traced]
async fn load(key: u32) -> u32 {
    tokio::task::yield_now().await;
    key
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn children_started_in_any_poll_on_any_thread_have_the_carried_span_as_parent() {
    let ((), spans) = testing::capture_async(async {
        let mut tasks = Vec::new();
        for n in 0..50 {
            let span = tracekit::global()
                .span(format!("request {n}"))
                .kind(SpanKind::Server)
                .start_carried();
            let work = async move {
                for step in 0..3 {
                    load(step).await;
                    tokio::task::yield_now().await;
                }
                with_active_span(|span| span.set_tag("seen", true));
            };
            tasks.push(tokio::spawn(Carrying {
                inner: Box::pin(work),
                span,
            }));
        }
        for task in tasks {
            task.await.expect("no panic");
        }
    })
    .await;
    let requests: Vec<_> = spans
        .iter()
        .filter(|s| s.name.starts_with("request"))
        .collect();
    assert_eq!(requests.len(), 50);
    for request in requests {
        assert_eq!(request.kind, SpanKind::Server);
        assert_eq!(request.tag("seen").and_then(|v| v.as_bool()), Some(true));
        let children: Vec<_> = spans
            .iter()
            .filter(|s| s.parent_id == Some(request.span_id))
            .collect();
        assert_eq!(children.len(), 3, "{}", request.name);
        assert!(children.iter().all(|c| c.name == "load"));
        assert!(children.iter().all(|c| c.trace_id == request.trace_id));
    }
}

#[test]
fn a_span_dropped_unfinished_is_exported_and_nothing_stays_active() {
    let ((), spans) = testing::capture(|| {
        let mut span = tracekit::global().span("dropped").start_carried();
        span.set_tag("cancelled", true);
        let id = span.span_id();
        span.in_scope(|| assert_eq!(with_active_span(|s| s.span_id()), Some(id)));
        drop(span);
        assert_ne!(with_active_span(|s| s.span_id()), Some(id));
    });
    assert_eq!(spans.len(), 1);
    assert_eq!(
        spans[0].tag("cancelled").and_then(|v| v.as_bool()),
        Some(true)
    );
}

#[test]
fn a_handle_from_with_ref_works_inside_and_does_nothing_after() {
    let ((), spans) = testing::capture(|| {
        let mut span = tracekit::global().span("hooked").start_carried();
        let kept = span.with_ref(|handle| {
            handle.set_tag("inside", 1);
            handle.log([("event", "hook")]);
            handle.clone()
        });
        kept.set_tag("after", 2);
        span.set_tag("owner", 3);
        span.finish();
    });
    let span = &spans[0];
    assert_eq!(span.tag("inside").and_then(|v| v.as_i64()), Some(1));
    assert_eq!(span.tag("owner").and_then(|v| v.as_i64()), Some(3));
    assert!(span.tag("after").is_none(), "the handle outlived its call");
    assert!(span.log_event("hook").is_some());
}

#[test]
fn a_panic_inside_in_scope_leaves_the_span_with_its_owner() {
    let ((), spans) = testing::capture(|| {
        let mut span = tracekit::global().span("outer").start_carried();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            span.in_scope(|| {
                // Pushed onto the stack by the child's start, then unwound.
                tracekit::global().span("child").start().finish();
                panic!("handler failed");
            })
        }));
        assert!(caught.is_err());
        assert!(!span.is_noop(), "taken back on the way out");
        span.record_error("panic", "handler failed");
        span.in_scope(|| tracekit::global().span("after").start().finish());
    });
    let outer = spans.iter().find(|s| s.name == "outer").expect("outer");
    assert_eq!(outer.tag("error").and_then(|v| v.as_bool()), Some(true));
    for name in ["child", "after"] {
        let child = spans.iter().find(|s| s.name == name).expect(name);
        assert_eq!(child.parent_id, Some(outer.span_id), "{name}");
    }
}

#[test]
fn carried_spans_nest_and_keep_their_order() {
    let ((), spans) = testing::capture(|| {
        let tracer = tracekit::global();
        let mut outer = tracer.span("outer").start_carried();
        outer.in_scope(|| {
            let mut inner = tracer.span("inner").start_carried();
            inner.in_scope(|| tracer.span("leaf").start().finish());
            inner.finish();
            tracer.span("sibling").start().finish();
        });
        outer.finish();
    });
    let id = |name: &str| spans.iter().find(|s| s.name == name).unwrap().span_id;
    let parent = |name: &str| spans.iter().find(|s| s.name == name).unwrap().parent_id;
    assert_eq!(parent("inner"), Some(id("outer")));
    assert_eq!(parent("leaf"), Some(id("inner")));
    assert_eq!(parent("sibling"), Some(id("outer")));
}

#[test]
fn a_span_of_another_tracer_goes_to_that_tracers_exporters() {
    let spans = Memory::new();
    let tracer = Tracer::builder().exporter(spans.clone()).build();
    let mut span = tracer.span("own").start_carried();
    span.set_tag("k", "v");
    span.finish();
    tracer.flush().expect("flushed");
    let spans = spans.spans();
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].name, "own");
}

#[test]
fn an_unsampled_carried_span_records_nothing_and_passes_its_context_on() {
    let spans = Memory::new();
    let tracer = Tracer::builder()
        .exporter(spans.clone())
        .sampler(tracekit::Sampler::never())
        .build();
    let mut span = tracer.span("unsampled").start_carried();
    assert!(!span.is_recording());
    assert!(
        span.context().is_valid(),
        "children and callers get its ids"
    );
    span.set_tag("ignored", 1);
    span.finish();
    tracer.flush().expect("flushed");
    assert!(spans.spans().is_empty());
}

#[test]
fn a_noop_carried_span_runs_its_calls_and_records_nothing() {
    let mut span = CarriedSpan::noop();
    assert!(span.is_noop());
    assert!(!span.context().is_valid());
    assert_eq!(span.in_scope(|| 7), 7);
    assert!(!span.with_ref(|handle| handle.is_recording()));
}
