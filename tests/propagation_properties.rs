//! Properties over generated input: inject-then-extract returns the same
//! context in every format; extraction never panics on arbitrary headers
//! or bytes, and never returns half a context (only valid ids, or baggage
//! that came without ids); baggage read from hostile headers goes back out
//! only as the W3C grammar allows, keeping every valid member.

#[path = "support/formats.rs"]
mod support;

#[path = "support/baggage_grammar.rs"]
mod grammar;

use std::collections::HashMap;

use proptest::prelude::*;
use tracekit::propagation::{Composite, OtTrace, Propagator, extract_binary, inject_binary};
use tracekit::{Baggage, SpanContext, SpanId, TraceId};

fn context(trace: u128, span: u64, sampled: bool, items: &[(String, String)]) -> SpanContext {
    let baggage: Baggage = items.iter().cloned().collect();
    SpanContext::new(
        TraceId::from_u128(trace),
        SpanId::new(span).unwrap(),
        sampled,
    )
    .with_baggage(baggage)
}

proptest! {
    #[test]
    fn inject_then_extract_returns_the_same_context(
        trace in 1u128..,
        span in 1u64..,
        sampled in any::<bool>(),
        items in prop::collection::vec(("[a-z][a-z0-9_.-]{0,15}", "\\PC{0,24}"), 0..5),
    ) {
        let original = context(trace, span, sampled, &items);
        for (name, format, carries_baggage) in support::formats() {
            let mut carrier = HashMap::new();
            format.inject(&original, &mut carrier);
            let back = format.extract(&carrier);
            prop_assert!(back.is_some(), "{} lost the context", name);
            let back = back.unwrap();
            prop_assert_eq!(back.trace_id(), original.trace_id(), "{}", name);
            prop_assert_eq!(back.span_id(), original.span_id(), "{}", name);
            prop_assert_eq!(back.is_sampled(), sampled, "{}", name);
            if carries_baggage {
                prop_assert_eq!(back.baggage(), original.baggage(), "{}", name);
            }
        }
        let binary = extract_binary(&inject_binary(&original)).unwrap();
        prop_assert_eq!((binary.trace_id(), binary.span_id(), binary.is_sampled()), (original.trace_id(), original.span_id(), sampled));
        prop_assert_eq!(binary.baggage(), original.baggage());
    }

    #[test]
    fn ot_text_map_round_trips_with_header_safe_baggage(
        trace in 1u128..,
        span in 1u64..,
        sampled in any::<bool>(),
        items in prop::collection::vec(("[a-z][a-z0-9_-]{0,15}", "[ -~]{0,24}"), 0..5),
    ) {
        let original = context(trace, span, sampled, &items);
        let mut carrier = HashMap::new();
        OtTrace.inject(&original, &mut carrier);
        let back = OtTrace.extract(&carrier).unwrap();
        prop_assert_eq!((back.trace_id(), back.span_id(), back.is_sampled()), (original.trace_id(), original.span_id(), sampled));
        prop_assert_eq!(back.baggage(), original.baggage());
    }

    #[test]
    fn extraction_never_panics_on_arbitrary_header_sets(
        headers in prop::collection::vec((
            prop_oneof![
                Just("traceparent".to_owned()), Just("tracestate".to_owned()), Just("baggage".to_owned()),
                Just("b3".to_owned()), Just("X-B3-TraceId".to_owned()), Just("x-b3-spanid".to_owned()),
                Just("x-b3-sampled".to_owned()), Just("x-b3-flags".to_owned()), Just("uber-trace-id".to_owned()),
                Just("uberctx-k".to_owned()), Just("ot-tracer-traceid".to_owned()), Just("ot-tracer-spanid".to_owned()),
                Just("ot-tracer-sampled".to_owned()), Just("ot-baggage-k".to_owned()), "\\PC{0,12}",
            ],
            prop_oneof![
                any::<String>(),
                "[0-9a-fA-F:%-]{0,70}",
                Just("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".to_owned()),
                "00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-z]{2}.{0,4}",
            ],
        ), 0..8),
    ) {
        let all = Composite::from_names("tracecontext,baggage,b3,b3multi,jaeger,ottrace").unwrap();
        // A context has valid ids, or is the baggage that came alone.
        let whole = |context: &tracekit::SpanContext| {
            (context.is_valid() && context.is_remote())
                || (!context.is_valid() && !context.baggage().is_empty())
        };
        for (_, format, _) in support::formats() {
            if let Some(context) = format.extract(&headers) {
                prop_assert!(whole(&context), "{:?}", context);
            }
        }
        if let Some(context) = all.extract(&headers) {
            prop_assert!(whole(&context), "{:?}", context);
        }
        let _ = OtTrace.extract(&headers);
    }

    #[test]
    fn binary_extraction_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..96)) {
        if let Some(context) = extract_binary(&bytes) {
            prop_assert!(context.is_valid());
        }
    }

    #[test]
    fn injected_values_are_always_valid_header_values(
        trace in 1u128..,
        span in 1u64..,
        items in prop::collection::vec(("[a-z][a-z0-9_.-]{0,15}", any::<String>()), 0..5),
    ) {
        let all = Composite::from_names("tracecontext,baggage,b3,b3multi,jaeger,ottrace").unwrap();
        let mut carrier: Vec<(String, String)> = Vec::new();
        all.inject(&context(trace, span, true, &items), &mut carrier);
        for (key, value) in &carrier {
            prop_assert!(http::HeaderName::from_bytes(key.as_bytes()).is_ok(), "{}", key);
            prop_assert!(http::HeaderValue::from_str(value).is_ok(), "{}: {:?}", key, value);
        }
    }

    #[test]
    fn hostile_baggage_goes_back_out_grammatical_and_keeps_the_valid_members(
        valid in prop::collection::vec(
            (any::<String>(), prop::collection::vec("[^,]{0,8}", 0..3)),
            0..4,
        ),
        garbage in prop::collection::vec(any::<String>(), 0..3),
    ) {
        // Valid members: a unique token key, a percent-encoded value, and
        // properties of any text but a comma (the bad ones are dropped alone).
        let mut members: Vec<String> = Vec::new();
        for (i, (value, properties)) in valid.iter().enumerate() {
            let mut member = format!("valid{i}x={}", grammar::percent_encoded(value));
            for property in properties {
                member.push(';');
                member.push_str(property);
            }
            members.push(member);
        }
        members.extend(garbage.iter().cloned());
        let header = members.join(",");
        let incoming = vec![("baggage".to_owned(), header.clone())];
        let baggage = Composite::from_names("baggage")
            .unwrap()
            .extract(&incoming)
            .map(|context| context.baggage().clone())
            .unwrap_or_default();
        for (i, (value, _)) in valid.iter().enumerate() {
            let key = format!("valid{i}x");
            prop_assert_eq!(baggage.get(&key), Some(value.as_str()), "{} of {:?}", key, header);
        }

        let context = SpanContext::from_baggage(baggage.clone());
        let mut text_map: HashMap<String, String> = HashMap::new();
        Composite::default().inject(&context, &mut text_map);
        let mut header_map = http::HeaderMap::new();
        Composite::default().inject(&context, &mut header_map);
        match text_map.get("baggage") {
            Some(out) => {
                prop_assert!(grammar::is_grammatical(out), "{:?} from {:?}", out, header);
                prop_assert_eq!(header_map.get("baggage").map(|v| v.to_str().unwrap()), Some(out.as_str()));
            }
            None => prop_assert!(baggage.is_empty() && header_map.get("baggage").is_none()),
        }
    }
}
