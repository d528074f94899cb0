//! B3, Jaeger and the OpenTracing text map through the tracer, chosen the
//! way OTEL_PROPAGATORS chooses them.

use std::collections::{BTreeMap, HashMap};

use tracekit::propagation::Composite;
use tracekit::{SpanContext, SpanId, TraceId, Tracer};

fn tracer(names: &str) -> Tracer {
    Tracer::builder()
        .propagator(Composite::from_names(names).unwrap())
        .build()
}

fn context() -> SpanContext {
    SpanContext::new(
        TraceId::from_hex("463ac35c9f6413ad48485a3953bb6124").unwrap(),
        SpanId::from_hex("a2fb4a1d1a96d312").unwrap(),
        true,
    )
    .with_baggage_item("tenant", "acme")
}

#[test]
fn every_format_round_trips_ids_and_sampling_through_every_carrier() {
    for names in ["tracecontext,baggage", "b3", "b3multi", "jaeger", "ottrace"] {
        let tracer = tracer(names);
        let mut map = HashMap::new();
        tracer.inject(&context(), &mut map);
        let mut tree = BTreeMap::new();
        tracer.inject(&context(), &mut tree);
        let mut list: Vec<(String, String)> = Vec::new();
        tracer.inject(&context(), &mut list);
        let mut headers = http::HeaderMap::new();
        tracer.inject(&context(), &mut headers);
        for back in [
            tracer.extract(&map),
            tracer.extract(&tree),
            tracer.extract(&list),
            tracer.extract(&headers),
        ] {
            let back = back.unwrap_or_else(|| panic!("{names}"));
            assert_eq!(back.trace_id(), context().trace_id(), "{names}");
            assert_eq!(back.span_id(), context().span_id(), "{names}");
            assert!(back.is_sampled() && back.is_remote(), "{names}");
        }
    }
}

#[test]
fn jaeger_and_ot_carry_their_own_baggage_and_w3c_carries_it_separately() {
    for names in ["jaeger", "ottrace", "tracecontext,baggage"] {
        let tracer = tracer(names);
        let mut map = HashMap::new();
        tracer.inject(&context(), &mut map);
        assert_eq!(
            tracer.extract(&map).unwrap().baggage().get("tenant"),
            Some("acme"),
            "{names}"
        );
    }
    let b3 = tracer("b3");
    let mut map = HashMap::new();
    b3.inject(&context(), &mut map);
    assert!(
        b3.extract(&map).unwrap().baggage().is_empty(),
        "B3 carries no baggage"
    );
}

#[test]
fn a_composite_writes_every_format_and_reads_the_first_present() {
    let tracer = tracer("b3multi,tracecontext,jaeger,baggage");
    let mut map = HashMap::new();
    tracer.inject(&context(), &mut map);
    for key in ["x-b3-traceid", "traceparent", "uber-trace-id", "baggage"] {
        assert!(map.contains_key(key), "{key} written");
    }
    // Only the W3C header remains valid: the composite falls through to it.
    map.insert("x-b3-traceid".into(), "not-hex".into());
    map.remove("uber-trace-id");
    let back = tracer.extract(&map).unwrap();
    assert_eq!(back.span_id(), context().span_id());
    assert_eq!(back.baggage().get("tenant"), Some("acme"));
}

#[test]
fn none_propagates_nothing() {
    let tracer = tracer("none");
    let mut map = HashMap::new();
    tracer.inject(&context(), &mut map);
    assert!(map.is_empty());
}
