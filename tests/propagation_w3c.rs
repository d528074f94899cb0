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
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ),
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
