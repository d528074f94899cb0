//! W3C trace context and baggage through the tracer: a request's headers
//! continue the caller's trace, and the next hop receives this service's span.

use http::HeaderMap;
use tracekit::{TagValue, testing, traced};

fn incoming(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (key, value) in pairs {
        headers.append(
            http::header::HeaderName::from_bytes(key.as_bytes()).unwrap(),
            http::HeaderValue::from_str(value).unwrap(),
        );
    }
    headers
}

#[traced(kind = client)]
fn call_next_hop() -> HeaderMap {
    let mut outgoing = HeaderMap::new();
    let context = tracekit::context::current().span_context().unwrap();
    tracekit::global().inject(&context, &mut outgoing);
    outgoing
}

#[traced(kind = server, child_of = parent)]
fn handle(parent: Option<tracekit::SpanContext>) -> HeaderMap {
    call_next_hop()
}

#[test]
fn a_request_continues_the_callers_trace_and_passes_it_on() {
    let headers = incoming(&[
        (
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ),
        ("tracestate", "congo=t61rcWkgMzE"),
        ("baggage", "tenant=acme,user=ada%20l;pii"),
    ]);
    let (outgoing, spans) = testing::capture(|| {
        let parent = tracekit::global().extract(&headers);
        assert!(parent.as_ref().is_some_and(|p| p.is_remote()));
        handle(parent)
    });
    // `handle` belongs to the caller's trace, not to the capture's.
    assert!(spans.iter().all(|s| s.name != "handle"));

    let traceparent = outgoing["traceparent"].to_str().unwrap();
    assert!(
        traceparent.starts_with("00-0af7651916cd43dd8448eb211c80319c-"),
        "{traceparent}"
    );
    assert!(traceparent.ends_with("-01"));
    assert_ne!(
        &traceparent[36..52],
        "b7ad6b7169203331",
        "the next hop's parent is our span"
    );
    assert_eq!(outgoing["tracestate"], "congo=t61rcWkgMzE");
    let baggage = outgoing["baggage"].to_str().unwrap();
    assert_eq!(baggage, "tenant=acme,user=ada%20l;pii");
}

#[test]
fn the_server_span_is_a_remote_child_and_sees_the_baggage() {
    let memory = tracekit::export::Memory::new();
    let tracer = tracekit::Tracer::builder().exporter(memory.clone()).build();
    let headers = incoming(&[
        (
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03",
        ),
        ("tracestate", "congo=t61rcWkgMzE"),
        ("baggage", "tenant=acme"),
    ]);
    let parent = tracer.extract(&headers).unwrap();
    let server = tracer.span("GET /cart").child_of(&parent).start();
    assert_eq!(server.baggage_item("tenant").as_deref(), Some("acme"));
    server.set_tag("tenant", server.baggage_item("tenant").unwrap());
    drop(server);
    tracer.flush().unwrap();
    let record = &memory.spans()[0];
    assert_eq!(
        record.trace_id.to_string(),
        "4bf92f3577b34da6a3ce929d0e0e4736"
    );
    assert_eq!(record.parent_id.unwrap().to_string(), "00f067aa0ba902b7");
    assert!(record.parent_is_remote);
    // What exporters need to write the trace's W3C flags and state.
    assert!(record.random_trace_id);
    assert_eq!(record.trace_state.as_str(), "congo=t61rcWkgMzE");
    assert_eq!(record.context().trace_state(), &record.trace_state);
    assert_eq!(
        record.tag("tenant").and_then(TagValue::as_str),
        Some("acme")
    );
}

#[test]
fn malformed_or_conflicting_headers_are_ignored_and_counted() {
    let tracer = tracekit::Tracer::builder().build();
    let before = tracer.stats().malformed_contexts;
    for headers in [
        incoming(&[(
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-zz",
        )]),
        incoming(&[
            (
                "traceparent",
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            ),
            (
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ),
        ]),
        incoming(&[(
            "traceparent",
            "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        )]),
    ] {
        assert!(tracer.extract(&headers).is_none());
    }
    assert!(tracer.stats().malformed_contexts >= before + 3);
    assert!(
        tracer.extract(&HeaderMap::new()).is_none(),
        "absent is not an error"
    );
}

#[test]
fn repeated_identical_headers_are_one_value() {
    let tracer = tracekit::Tracer::builder().build();
    let value = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let headers = incoming(&[("traceparent", value), ("Traceparent", value)]);
    assert!(tracer.extract(&headers).is_some());
}

#[test]
fn a_new_trace_sets_the_random_flag_and_a_continued_one_keeps_what_came_in() {
    let (outgoing, spans) = testing::capture(call_next_hop);
    let traceparent = outgoing["traceparent"].to_str().unwrap();
    assert!(
        traceparent.ends_with("-03"),
        "sampled and random: {traceparent}"
    );
    assert!(!spans.is_empty() && spans.iter().all(|span| span.random_trace_id));

    for (flags, expected) in [("01", "-01"), ("03", "-03"), ("02", "-02"), ("00", "-00")] {
        let value = format!("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-{flags}");
        let headers = incoming(&[("traceparent", &value)]);
        let outgoing = handle(tracekit::global().extract(&headers));
        let traceparent = outgoing
            .get("traceparent")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        assert!(
            traceparent.ends_with(expected),
            "{flags} came in, {traceparent} went out"
        );
    }
}

#[test]
fn baggage_without_trace_ids_becomes_the_baggage_of_a_new_trace() {
    let memory = tracekit::export::Memory::new();
    let tracer = tracekit::Tracer::builder().exporter(memory.clone()).build();
    let headers = incoming(&[("baggage", "tenant=acme")]);
    let parent = tracer.extract(&headers).expect("the baggage arrives");
    assert!(!parent.is_valid());

    let span = tracer.span("request").child_of(&parent).start();
    assert!(span.context().is_valid(), "a new trace");
    assert_eq!(span.baggage_item("tenant").as_deref(), Some("acme"));
    let mut outgoing = HeaderMap::new();
    tracer.inject(&span.context(), &mut outgoing);
    assert_eq!(outgoing["baggage"], "tenant=acme");
    assert!(outgoing.contains_key("traceparent"));
    span.finish();

    // Made active, the baggage-only context parents the same way.
    let scope = tracekit::Context::from_span_context(parent.clone()).attach();
    let child = tracer.span("under the context").start();
    assert!(
        child.is_sampled(),
        "a context without ids does not unsample"
    );
    assert_eq!(child.baggage_item("tenant").as_deref(), Some("acme"));
    child.finish();
    drop(scope);

    tracer.flush().unwrap();
    let spans = memory.spans();
    assert_eq!(spans.len(), 2);
    assert!(spans.iter().all(|s| s.parent_id.is_none()));
    assert!(
        spans
            .iter()
            .all(|s| s.baggage.get("tenant") == Some("acme"))
    );
}

#[test]
fn a_context_without_ids_injects_its_baggage_and_nothing_else() {
    let context =
        tracekit::SpanContext::from_baggage(tracekit::Baggage::new().with("tenant", "acme"));
    let tracer = tracekit::Tracer::builder()
        .propagator(
            tracekit::propagation::Composite::from_names("tracecontext,baggage,b3multi,jaeger")
                .unwrap(),
        )
        .build();
    let mut outgoing = HeaderMap::new();
    tracer.inject(&context, &mut outgoing);
    let names: Vec<&str> = outgoing.keys().map(|k| k.as_str()).collect();
    assert_eq!(names, ["baggage"]);
}
