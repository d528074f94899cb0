//! The span builder and the live span: parents, references, tags, logs,
//! names, baggage and timing.

use std::time::{Duration, SystemTime};

use tracekit::{SpanKind, TagValue, testing, traced};

#[test]
fn child_of_overrides_the_active_span() {
    let ((), spans) = testing::capture(|| {
        let tracer = tracekit::global();
        let chosen = tracer.span("chosen").start();
        let active = tracer.span("active").start();
        let _scope = active.activate();
        tracer
            .span("child")
            .child_of(chosen.context())
            .start()
            .finish();
    });
    let chosen = spans.iter().find(|s| s.name == "chosen").unwrap();
    let child = spans.iter().find(|s| s.name == "child").unwrap();
    assert_eq!(child.parent_id, Some(chosen.span_id));
}

#[test]
fn ignore_active_starts_a_new_trace() {
    let ((), spans) = testing::capture(|| {
        let tracer = tracekit::global();
        let active = tracer.span("active").start();
        let _scope = active.activate();
        let fresh = tracer.span("fresh").ignore_active().start();
        assert_ne!(fresh.trace_id(), active.trace_id());
    });
    assert_eq!(spans.len(), 1, "the new trace is not part of this capture");
}

#[test]
fn follows_from_may_be_given_several_times_and_keeps_the_active_parent() {
    let ((), spans) = testing::capture(|| {
        let tracer = tracekit::global();
        let first = tracer.span("first").start().context();
        let second = tracer.span("second").start().context();
        let active = tracer.span("active").start();
        let _scope = active.activate();
        tracer
            .span("batch")
            .follows_from(&first)
            .follows_from(&second)
            .start()
            .finish();
    });
    let batch = spans.iter().find(|s| s.name == "batch").unwrap();
    let ids: Vec<_> = batch.follows_from.iter().map(|c| c.span_id()).collect();
    let first = spans.iter().find(|s| s.name == "first").unwrap().span_id;
    let second = spans.iter().find(|s| s.name == "second").unwrap().span_id;
    assert_eq!(ids, [first, second]);
    assert_eq!(
        batch.parent_id,
        Some(spans.iter().find(|s| s.name == "active").unwrap().span_id)
    );
}

#[test]
fn tags_replace_earlier_values_and_logs_keep_their_order() {
    let ((), spans) = testing::capture(|| {
        let span = tracekit::global()
            .span("work")
            .kind(SpanKind::Producer)
            .tag("attempt", 1)
            .start();
        span.set_tag("attempt", 2);
        span.log([("event", "first")]);
        span.log([("event", "second")]);
        span.set_operation_name("renamed");
    });
    let span = &spans[0];
    assert_eq!(span.name, "renamed");
    assert_eq!(span.kind, SpanKind::Producer);
    assert_eq!(span.tags.iter().filter(|(k, _)| k == "attempt").count(), 1);
    assert_eq!(span.tag("attempt"), Some(&TagValue::I64(2)));
    let events: Vec<_> = span
        .logs
        .iter()
        .map(|l| l.field("event").unwrap().to_string())
        .collect();
    assert_eq!(events, ["first", "second"]);
}

#[test]
fn start_time_and_finish_at_set_the_timestamps() {
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let ((), spans) = testing::capture(|| {
        tracekit::global()
            .span("timed")
            .start_time(start)
            .start()
            .finish_at(start + Duration::from_millis(250));
    });
    assert_eq!(spans[0].start, start);
    assert_eq!(spans[0].duration(), Duration::from_millis(250));
}

#[test]
fn a_span_finishes_once_when_dropped_or_finished() {
    let ((), spans) = testing::capture(|| {
        let tracer = tracekit::global();
        tracer.span("dropped").start().finish();
        let finished = tracer.span("finished").start();
        finished.finish();
    });
    assert_eq!(spans.len(), 2);
    assert!(spans.iter().all(|s| s.end >= s.start));
}

#[test]
fn tags_and_logs_after_finish_are_ignored() {
    let ((), spans) = testing::capture(|| {
        let span = tracekit::global().span("done").start();
        let scope = span.activate();
        let handle = tracekit::context::current();
        drop(scope);
        drop(span);
        handle.run(|| tracekit::with_active_span(|s| s.set_tag("late", true)));
    });
    assert_eq!(spans[0].tag("late"), None);
}

#[test]
fn a_view_of_a_span_finished_elsewhere_stops_recording() {
    let ((), spans) = testing::capture(|| {
        let span = tracekit::global().span("viewed").start();
        let view: tracekit::SpanRef = (*span).clone();
        assert!(view.is_recording());
        std::thread::spawn(move || span.finish()).join().unwrap();
        assert!(!view.is_recording());
        view.set_tag("late", true);
        // Finished on this thread, the view left as its only reference.
        let again = tracekit::global().span("again").start();
        let early = (*again).clone();
        again.finish();
        assert!(!early.is_recording());
    });
    assert_eq!(spans.len(), 2);
    assert_eq!(
        spans
            .iter()
            .find(|s| s.name == "viewed")
            .unwrap()
            .tag("late"),
        None
    );
}

#[test]
fn baggage_is_inherited_by_children_started_after_it_was_set() {
    let ((), spans) = testing::capture(|| {
        let tracer = tracekit::global();
        let root = tracer.span("root").start();
        let early = tracer.span("early").child_of(root.context()).start();
        root.set_baggage_item("tenant", "acme");
        let _scope = root.activate();
        let child = tracer.span("child").start();
        assert_eq!(child.baggage_item("tenant").as_deref(), Some("acme"));
        assert_eq!(early.baggage_item("tenant"), None);
        child.set_baggage_item("request", "7");
        assert_eq!(
            root.baggage_item("request"),
            None,
            "baggage flows down, not up"
        );
    });
    let child = spans.iter().find(|s| s.name == "child").unwrap();
    assert_eq!(child.baggage.get("tenant"), Some("acme"));
    assert_eq!(child.baggage.get("request"), Some("7"));
}

#[traced]
fn inner_reads_baggage() -> Option<String> {
    tracekit::context::baggage_item("tenant")
}

#[traced]
fn outer_sets_baggage() -> [Option<String>; 2] {
    tracekit::with_active_span(|span| span.set_baggage_item("request", "7"));
    [inner_reads_baggage(), inner_reads_baggage()]
}

#[test]
fn traced_calls_inherit_baggage_and_export_it() {
    let (seen, spans) = testing::capture(|| {
        let root = tracekit::global().span("root").start();
        root.set_baggage_item("tenant", "acme");
        let _scope = root.activate();
        outer_sets_baggage()
    });
    // The second child sees the baggage as the first did: finishing a
    // child leaves its parent's baggage alone.
    assert_eq!(seen, [Some("acme".into()), Some("acme".into())]);
    let traced: Vec<_> = spans.iter().filter(|s| s.name != "root").collect();
    assert_eq!(traced.len(), 3);
    for span in traced {
        assert_eq!(span.baggage.get("tenant"), Some("acme"), "{}", span.name);
        assert_eq!(span.baggage.get("request"), Some("7"), "{}", span.name);
    }
}

#[traced(root)]
fn detached() {}

#[traced(child_of = parent)]
fn under(parent: &tracekit::SpanContext) {}

#[traced(follows_from = cause)]
fn after(cause: Option<tracekit::SpanContext>) {}

#[test]
fn root_child_of_and_follows_from_options_choose_the_references() {
    let ((), spans) = testing::capture(|| {
        let tracer = tracekit::global();
        let explicit = tracer.span("explicit").start();
        let active = tracer.span("active").start();
        let _scope = active.activate();
        detached();
        under(&explicit.context());
        after(Some(explicit.context()));
    });
    assert!(
        spans.iter().all(|s| s.name != "detached"),
        "root started another trace"
    );
    let explicit = spans.iter().find(|s| s.name == "explicit").unwrap();
    let active = spans.iter().find(|s| s.name == "active").unwrap();
    let under = spans.iter().find(|s| s.name == "under").unwrap();
    let after = spans.iter().find(|s| s.name == "after").unwrap();
    assert_eq!(under.parent_id, Some(explicit.span_id));
    assert_eq!(after.parent_id, Some(active.span_id));
    assert_eq!(after.follows_from[0].span_id(), explicit.span_id);
}

#[test]
fn a_remote_parent_is_recorded_as_remote() {
    let remote = tracekit::SpanContext::new(
        tracekit::TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
        tracekit::SpanId::from_hex("00f067aa0ba902b7").unwrap(),
        true,
    )
    .into_remote()
    .with_baggage_item("user", "ada");
    let memory = tracekit::export::Memory::new();
    let tracer = tracekit::Tracer::builder().exporter(memory.clone()).build();
    let span = tracer.span("server").child_of(&remote).start();
    assert_eq!(span.baggage_item("user").as_deref(), Some("ada"));
    drop(span);
    tracer.flush().unwrap();
    let record = &memory.spans()[0];
    assert_eq!(record.trace_id, remote.trace_id());
    assert_eq!(record.parent_id, Some(remote.span_id()));
    assert!(record.parent_is_remote);
}
