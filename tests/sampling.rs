//! Sampling: `parent_based(ratio(0.5))` installed globally. Unsampled spans
//! record nothing, yet their context still propagates.

use std::sync::OnceLock;

use tracekit::export::Memory;
use tracekit::{Sampler, SpanContext, SpanId, TraceId, testing, traced};

fn exported() -> &'static Memory {
    static MEMORY: OnceLock<Memory> = OnceLock::new();
    MEMORY.get_or_init(|| {
        let memory = Memory::new();
        let guard = tracekit::Tracer::builder()
            .sampler(Sampler::parent_based(Sampler::ratio(0.5)))
            .exporter(memory.clone())
            .install();
        std::mem::forget(guard);
        memory
    })
}

/// The context children started here would get as their parent.
fn active() -> SpanContext {
    tracekit::context::current()
        .span_context()
        .expect("a context is active")
}

#[traced]
fn child() -> SpanContext {
    active()
}

#[traced(root)]
fn new_trace() -> (SpanContext, SpanContext) {
    (active(), child())
}

fn exported_in(trace_id: TraceId) -> usize {
    tracekit::global().flush().unwrap();
    exported()
        .spans()
        .iter()
        .filter(|s| s.trace_id == trace_id)
        .count()
}

#[test]
fn new_traces_are_kept_by_the_ratio_of_their_trace_id() {
    exported();
    let roots: Vec<SpanContext> = (0..400).map(|_| new_trace().0).collect();
    let kept = roots.iter().filter(|c| c.is_sampled()).count();
    assert!(
        (130..270).contains(&kept),
        "kept {kept} of 400 at ratio 0.5"
    );
    for root in &roots {
        assert!(root.trace_id().is_valid());
        let expected = Sampler::ratio(0.5).should_sample(None, root.trace_id());
        assert_eq!(
            root.is_sampled(),
            expected,
            "the decision comes from the trace id alone"
        );
        assert_eq!(exported_in(root.trace_id()) > 0, root.is_sampled());
    }
}

#[test]
fn children_follow_their_parent_and_unsampled_traces_export_nothing() {
    exported();
    let mut saw = (false, false);
    for _ in 0..200 {
        let (root, child) = new_trace();
        assert_eq!(
            child.trace_id(),
            root.trace_id(),
            "the context propagates either way"
        );
        assert_eq!(child.is_sampled(), root.is_sampled());
        // A sampled child is a span of its own; an unsampled call under an
        // unsampled parent makes none (its parent stays the active one).
        assert_eq!(child.span_id() != root.span_id(), root.is_sampled());
        let expected = if root.is_sampled() { 2 } else { 0 };
        assert_eq!(exported_in(root.trace_id()), expected);
        if root.is_sampled() {
            saw.0 = true
        } else {
            saw.1 = true
        }
    }
    assert_eq!(saw, (true, true), "both decisions occurred");
}

#[test]
fn a_remote_unsampled_parent_is_respected() {
    exported();
    let remote = SpanContext::new(
        TraceId::from_hex("0af7651916cd43dd8448eb211c80319c").unwrap(),
        SpanId::from_hex("b7ad6b7169203331").unwrap(),
        false,
    )
    .into_remote();
    let context = tracekit::Context::from_span_context(remote.clone());
    let child = context.run(child);
    assert!(!child.is_sampled());
    assert_eq!(child.trace_id(), remote.trace_id());
    assert_eq!(exported_in(remote.trace_id()), 0);
}

#[test]
fn a_capture_forces_a_sampled_trace() {
    exported();
    let (context, spans) = testing::capture(child);
    assert!(context.is_sampled());
    assert_eq!(spans.len(), 1);
}

#[test]
fn a_tracer_that_never_samples_records_nothing_but_keeps_context() {
    let memory = Memory::new();
    let tracer = tracekit::Tracer::builder()
        .sampler(Sampler::never())
        .exporter(memory.clone())
        .build();
    let span = tracer.span("ignored").start();
    span.set_tag("k", 1);
    assert!(!span.is_recording());
    assert!(span.context().is_valid());
    span.set_baggage_item("still", "propagates");
    assert_eq!(span.context().baggage().get("still"), Some("propagates"));
    drop(span);
    assert!(memory.spans().is_empty());
}

#[test]
fn leaving_an_unsampled_context_in_any_order_makes_calls_traced_again() {
    exported();
    let parent = SpanId::new(7).unwrap();
    let context = |sampled: bool| {
        tracekit::Context::from_span_context(SpanContext::new(
            TraceId::from_u128(0x5eed_0000 + u128::from(sampled)),
            parent,
            sampled,
        ))
    };
    // A call that makes a span sees its own id; one that makes none sees
    // its parent's.
    let makes_a_span = || child().span_id() != parent;
    let sampled = context(true).attach();
    let unsampled = context(false).attach();
    assert!(!makes_a_span(), "under the unsampled context");
    // Closed out of order: the unsampled entry goes from below the top...
    let on_top = context(true).attach();
    drop(unsampled);
    assert!(makes_a_span(), "under a sampled context again");
    drop(on_top);
    // ...and from the top.
    let unsampled = context(false).attach();
    assert!(!makes_a_span());
    drop(unsampled);
    assert!(makes_a_span(), "the sampled context is active again");
    drop(sampled);
}

/// Its first poll makes a child; its last touches nothing.
#[traced]
async fn calls_child_then_yields() -> SpanContext {
    let child = child();
    tokio::task::yield_now().await;
    child
}

#[test]
fn a_traced_future_keeps_its_sampling_wherever_it_is_polled() {
    exported();
    let context = |sampled: bool| {
        tracekit::Context::from_span_context(SpanContext::new(
            TraceId::from_u128(0xf00d_0000 + u128::from(sampled)),
            SpanId::new(9).unwrap(),
            sampled,
        ))
    };
    let future = context(true).run(calls_child_then_yields);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let _unsampled = context(false).attach();
    let inside = runtime.block_on(future);
    assert!(inside.is_sampled(), "the future's own span is active in it");
    assert_ne!(inside.span_id(), SpanId::new(9).unwrap());
    let after = child();
    assert!(!after.is_sampled(), "the unsampled context is back on top");
    assert_eq!(
        after.span_id(),
        SpanId::new(9).unwrap(),
        "and makes no span"
    );
}
