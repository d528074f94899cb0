//! Jaeger: `uber-trace-id: {trace-id}:{span-id}:{parent-span-id}:{flags}`
//! and `uberctx-{key}` baggage.

use super::{
    Extractor, Injector, Propagator, hex_id, malformed, percent_decode, percent_encode, single,
};
use crate::identity::{SpanContext, SpanId, TraceId};

/// The Jaeger format. Ids may be shorter than full width (leading zeros
/// dropped, 64-bit trace ids); the header value may be URL-encoded; flag
/// bit 1 is sampled, bit 2 debug (which also means sampled). Baggage items
/// (`uberctx-{key}`, values percent-encoded) keep the W3C baggage limits
/// both ways (180 items, 8192 bytes); keys must be HTTP tokens, and
/// anything else is dropped and counted.
#[derive(Clone, Copy, Debug, Default)]
pub struct Jaeger;

const HEADER: &str = "uber-trace-id";
const BAGGAGE_PREFIX: &str = "uberctx-";

impl Propagator for Jaeger {
    fn inject(&self, context: &SpanContext, carrier: &mut dyn Injector) {
        if !context.is_valid() {
            return;
        }
        let flags = u8::from(context.is_sampled());
        carrier.set(
            HEADER,
            format!("{}:{}:0:{flags:x}", context.trace_id(), context.span_id()),
        );
        super::prefixed::inject(context.baggage(), carrier, BAGGAGE_PREFIX, |value| {
            Some(percent_encode(value, |b| {
                b.is_ascii_alphanumeric() || b"-_.~".contains(&b)
            }))
        });
    }

    fn extract(&self, carrier: &dyn Extractor) -> Option<SpanContext> {
        let value = single(carrier, HEADER).ok()??;
        let context = parse(value).or_else(malformed)?;
        let baggage = super::prefixed::extract(carrier, BAGGAGE_PREFIX, percent_decode);
        Some(context.with_baggage(baggage))
    }
}

fn parse(value: &str) -> Option<SpanContext> {
    let decoded = percent_decode(value)?;
    let parts: Vec<&str> = decoded.trim().split(':').collect();
    let [trace, span, parent, flags] = parts.as_slice() else {
        return None;
    };
    let trace_id = TraceId::from_u128(hex_id(trace, 32)?);
    let span_id = SpanId::new(hex_id(span, 16)? as u64)?;
    // The parent may be 0 ("no parent"), but must be hex.
    if parent.is_empty() || parent.len() > 16 || !parent.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    if flags.is_empty() || flags.len() > 2 {
        return None;
    }
    let flags = u8::from_str_radix(flags, 16).ok()?;
    Some(SpanContext::new(trace_id, span_id, flags & 0b11 != 0).into_remote())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    use crate::propagation::header_list as headers;

    #[test]
    fn short_encoded_and_64_bit_ids_parse() {
        let carrier = headers(&[
            ("uber-trace-id", "3a2f%3A7b%3A0%3A1"),
            ("uberctx-User", "ada%20l"),
        ]);
        let context = Jaeger.extract(&carrier).unwrap();
        assert_eq!(context.trace_id(), TraceId::from_u128(0x3a2f));
        assert_eq!(context.span_id(), SpanId::new(0x7b).unwrap());
        assert!(context.is_sampled());
        assert_eq!(context.baggage().get("user"), Some("ada l"));
        let debug = Jaeger
            .extract(&headers(&[("uber-trace-id", "1:2:0:2")]))
            .unwrap();
        assert!(debug.is_sampled(), "debug means sampled");
        assert!(
            !Jaeger
                .extract(&headers(&[("uber-trace-id", "1:2:0:0")]))
                .unwrap()
                .is_sampled()
        );
    }

    #[test]
    fn malformed_jaeger_values_are_absent() {
        for bad in [
            "1:2:0",
            "0:2:0:1",
            "1:0:0:1",
            "1:2:x:1",
            "1:2:0:zz",
            "1:2:0:100",
            "1;2;0;1",
            "%zz",
            "",
        ] {
            assert!(
                Jaeger
                    .extract(&headers(&[("uber-trace-id", bad)]))
                    .is_none(),
                "{bad}"
            );
        }
    }

    #[test]
    fn inject_then_extract_keeps_ids_flags_and_baggage() {
        let context =
            SpanContext::new(TraceId::from_u128(u128::MAX), SpanId::new(5).unwrap(), true)
                .with_baggage_item("tenant", "a b/c");
        let mut carrier = HashMap::new();
        Jaeger.inject(&context, &mut carrier);
        assert_eq!(
            carrier["uber-trace-id"],
            "ffffffffffffffffffffffffffffffff:0000000000000005:0:1"
        );
        let back = Jaeger.extract(&carrier).unwrap();
        assert_eq!(
            (back.trace_id(), back.span_id()),
            (context.trace_id(), context.span_id())
        );
        assert_eq!(back.baggage().get("tenant"), Some("a b/c"));
    }
}
