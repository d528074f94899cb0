//! Calls with nothing to record before their body (no arguments, or
//! `skip_all`, and no `tags(..)` or references) run from start to finish in
//! one frame of the runtime, with short paths of their own. These tests go
//! through an installed tracer, as those paths need, and cover each case
//! the frame meets: a child of a traced call or of a builder span, a root,
//! an error, a panic, hooks, a diverging body, and a body that leaves
//! another span active.

use std::panic::catch_unwind;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use tracekit::{Call, Hooks, Outcome, SpanId, SpanRecord, SpanRef, TagValue, TraceId, traced};

#[path = "support/exported.rs"]
#[allow(dead_code)] // its wait for spans from other tasks is not needed here
mod exported;
use exported::memory as exported;

/// Tests share the global tracer; each finds its spans by trace id.
static SERIAL: Mutex<()> = Mutex::new(());

/// The spans of `trace`, in the order they finished.
fn spans_of(trace: TraceId) -> Vec<SpanRecord> {
    tracekit::global().flush().expect("flushed");
    let spans = exported().spans();
    spans.into_iter().filter(|s| s.trace_id == trace).collect()
}

/// Runs `body` under a builder span ("root") active on this thread, then
/// finishes the root; returns the spans of its trace. `body` is given
/// the trace id.
fn under_root(body: impl FnOnce(TraceId)) -> Vec<SpanRecord> {
    exported();
    let root = tracekit::global().span("root").ignore_active().start();
    let trace = root.context().trace_id();
    {
        let _active = root.activate();
        body(trace);
    }
    root.finish();
    spans_of(trace)
}

fn one<'a>(spans: &'a [SpanRecord], name: &str) -> &'a SpanRecord {
    let mut named = spans.iter().filter(|s| s.name == name);
    let span = named.next().unwrap_or_else(|| panic!("no span {name}"));
    assert!(named.next().is_none(), "one span {name}");
    span
}

fn active_trace() -> TraceId {
    tracekit::context::current()
        .span_context()
        .expect("a span is active")
        .trace_id()
}

#[traced]
fn leaf() -> u64 {
    7
}

#[traced]
fn middle() -> u64 {
    leaf() + leaf()
}

#[traced]
fn outer() -> TraceId {
    assert_eq!(middle(), 14);
    active_trace()
}

#[test]
fn nested_calls_make_a_chain_under_a_builder_span() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let spans = under_root(|trace| {
        assert_eq!(outer(), trace, "the call's span is active in its body");
    });
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_ref()).collect();
    assert_eq!(names, ["leaf", "leaf", "middle", "outer", "root"]);
    let (root, outer, middle) = (
        one(&spans, "root"),
        one(&spans, "outer"),
        one(&spans, "middle"),
    );
    assert_eq!(outer.parent_id, Some(root.span_id));
    assert_eq!(middle.parent_id, Some(outer.span_id));
    for leaf in spans.iter().filter(|s| s.name == "leaf") {
        assert_eq!(leaf.parent_id, Some(middle.span_id));
        assert!(middle.start <= leaf.start && leaf.end <= middle.end);
    }
    assert_ne!(spans[0].span_id, spans[1].span_id, "each call its own id");
    assert!(root.start <= outer.start && outer.end <= root.end);
}

#[traced]
fn starts_a_trace() -> (TraceId, Option<SpanId>) {
    let context = tracekit::context::current().span_context().expect("active");
    (context.trace_id(), Some(context.span_id()))
}

#[test]
fn a_call_with_no_active_span_starts_a_trace_of_its_own() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    exported();
    let (trace, span_id) = starts_a_trace();
    let spans = spans_of(trace);
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].parent_id, None);
    assert_eq!(Some(spans[0].span_id), span_id);
    assert!(tracekit::context::current().span_context().is_none());
}

#[derive(Debug)]
struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("refused")
    }
}

impl std::error::Error for Refused {}

#[traced]
fn refuses() -> Result<u32, Refused> {
    Err(Refused)
}

#[traced]
fn explodes() -> u32 {
    panic!("exploded in a whole call")
}

#[traced]
fn never_returns() -> ! {
    panic!("diverged")
}

#[test]
fn an_error_a_panic_and_a_diverging_body_are_recorded_and_the_stack_stays_clean() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let spans = under_root(|_| {
        assert!(refuses().is_err());
        let caught = catch_unwind(explodes).expect_err("the panic goes on");
        assert_eq!(
            caught.downcast_ref::<&str>(),
            Some(&"exploded in a whole call")
        );
        assert!(catch_unwind(|| never_returns()).is_err());
        // The panics left nothing on the stack: the next call is a child
        // of the root again.
        assert_eq!(leaf(), 7);
    });
    let root_id = one(&spans, "root").span_id;
    let refused = one(&spans, "refuses");
    assert!(refused.is_error());
    assert_eq!(
        refused
            .log_event("error")
            .and_then(|l| l.field("message"))
            .and_then(TagValue::as_str),
        Some("refused")
    );
    for name in ["explodes", "never_returns"] {
        let span = one(&spans, name);
        assert!(span.is_error(), "{name}");
        assert_eq!(
            span.tag("error.type").and_then(TagValue::as_str),
            Some("panic")
        );
    }
    for span in spans.iter().filter(|s| s.name != "root") {
        assert_eq!(span.parent_id, Some(root_id), "{}", span.name);
    }
    assert!(!one(&spans, "leaf").is_error());
}

/// Counts the hook calls it sees, and tags the span on both sides.
struct Counting {
    before: AtomicU32,
    after: AtomicU32,
}

impl Hooks for Counting {
    fn before_call(&self, span: &SpanRef, call: &Call<'_>) {
        self.before.fetch_add(1, Ordering::SeqCst);
        span.set_tag("seen.function", call.function);
    }

    fn after_call(&self, span: &SpanRef, outcome: &Outcome<'_>) {
        self.after.fetch_add(1, Ordering::SeqCst);
        span.set_tag("seen.returned", matches!(outcome, Outcome::Returned));
    }
}

static COUNTING: Counting = Counting {
    before: AtomicU32::new(0),
    after: AtomicU32::new(0),
};

#[traced(hooks = COUNTING)]
fn hooked() -> u32 {
    3
}

#[traced(hooks = COUNTING, skip_all)]
fn hooked_skipping(secret: &str) -> usize {
    secret.len()
}

#[test]
fn hooks_run_around_the_body_and_skip_all_takes_the_same_way() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let spans = under_root(|_| {
        assert_eq!(hooked(), 3);
        assert_eq!(hooked_skipping("hunter2"), 7);
    });
    assert_eq!(COUNTING.before.load(Ordering::SeqCst), 2);
    assert_eq!(COUNTING.after.load(Ordering::SeqCst), 2);
    for name in ["hooked", "hooked_skipping"] {
        let span = one(&spans, name);
        assert_eq!(
            span.tag("seen.function").and_then(TagValue::as_str),
            Some(name)
        );
        assert_eq!(span.tag("seen.returned"), Some(&TagValue::Bool(true)));
        assert!(span.tag("secret").is_none(), "skip_all records nothing");
    }
}

#[traced]
fn leaves_a_span_active() -> TraceId {
    let span = tracekit::global().span("left active").start();
    let trace = span.context().trace_id();
    // The scope is never closed: this call's entry is no longer on top
    // when it finishes.
    std::mem::forget(span.activate());
    trace
}

#[test]
fn a_body_that_leaves_a_span_active_still_ends_its_own_span() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    exported();
    // On a thread of its own, so the scope left open goes with it.
    let trace = std::thread::spawn(|| {
        let root = tracekit::global().span("root").ignore_active().start();
        let trace = root.context().trace_id();
        let _active = root.activate();
        assert_eq!(leaves_a_span_active(), trace);
        trace
    })
    .join()
    .expect("the thread ran");
    let spans = spans_of(trace);
    let call = one(&spans, "leaves_a_span_active");
    assert_eq!(call.parent_id, Some(one(&spans, "root").span_id));
    assert!(call.start <= call.end);
}
