//! The OpenTracing text map of basictracer and Lightstep: `ot-tracer-*`
//! ids and `ot-baggage-*` items.

use super::{Extractor, Injector, Propagator, hex_id, malformed, single};
use crate::identity::{SpanContext, SpanId, TraceId};

/// The OpenTracing text map format. Trace ids of 64 or 128 bits are read;
/// 128 bits are written. Baggage items (`ot-baggage-{key}`) keep the W3C
/// baggage limits both ways (180 items, 8192 bytes); keys must be HTTP
/// tokens and values printable ASCII (the format has no escaping), and
/// anything else is dropped and counted.
#[derive(Clone, Copy, Debug, Default)]
pub struct OtTrace;

const TRACE_ID: &str = "ot-tracer-traceid";
const SPAN_ID: &str = "ot-tracer-spanid";
const SAMPLED: &str = "ot-tracer-sampled";
const BAGGAGE_PREFIX: &str = "ot-baggage-";

impl Propagator for OtTrace {
    fn inject(&self, context: &SpanContext, carrier: &mut dyn Injector) {
        if !context.is_valid() {
            return;
        }
        carrier.set(TRACE_ID, context.trace_id().to_string());
        carrier.set(SPAN_ID, context.span_id().to_string());
        carrier.set(SAMPLED, context.is_sampled().to_string());
        // The format defines no escaping: only header-safe values travel.
        super::prefixed::inject(context.baggage(), carrier, BAGGAGE_PREFIX, |value| {
            value.is_ascii().then(|| value.to_owned())
        });
    }

    fn extract(&self, carrier: &dyn Extractor) -> Option<SpanContext> {
        let trace = single(carrier, TRACE_ID).ok()?;
        let span = single(carrier, SPAN_ID).ok()?;
        let sampled = match single(carrier, SAMPLED).ok()? {
            None | Some("false" | "0") => false,
            Some("true" | "1") => true,
            Some(_) => return malformed(),
        };
        let (trace, span) = match (trace, span) {
            (Some(trace), Some(span)) => (trace, span),
            (None, None) => return None,
            _ => return malformed(),
        };
        if trace.len() != 16 && trace.len() != 32 || span.len() != 16 {
            return malformed();
        }
        let (Some(trace), Some(span)) = (hex_id(trace, 32), hex_id(span, 16)) else {
            return malformed();
        };
        let baggage = super::prefixed::extract(carrier, BAGGAGE_PREFIX, |value| {
            value.is_ascii().then(|| value.to_owned())
        });
        let span_id = SpanId::new(span as u64)?;
        Some(
            SpanContext::new(TraceId::from_u128(trace), span_id, sampled)
                .into_remote()
                .with_baggage(baggage),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn ids_sampling_and_baggage_round_trip() {
        let context =
            SpanContext::new(TraceId::from_u128(0x1234), SpanId::new(0x99).unwrap(), true)
                .with_baggage_item("region", "eu");
        let mut carrier = HashMap::new();
        OtTrace.inject(&context, &mut carrier);
        assert_eq!(carrier["ot-tracer-sampled"], "true");
        assert_eq!(carrier["ot-baggage-region"], "eu");
        let back = OtTrace.extract(&carrier).unwrap();
        assert_eq!(
            (back.trace_id(), back.span_id(), back.is_sampled()),
            (context.trace_id(), context.span_id(), true)
        );
        assert_eq!(back.baggage().get("region"), Some("eu"));
    }

    #[test]
    fn sixty_four_bit_trace_ids_are_read_and_bad_values_are_absent() {
        let ok: Vec<(String, String)> = vec![
            ("ot-tracer-traceid".into(), "000000000000abcd".into()),
            ("ot-tracer-spanid".into(), "0000000000000001".into()),
        ];
        assert_eq!(
            OtTrace.extract(&ok).unwrap().trace_id(),
            TraceId::from_u128(0xabcd)
        );
        for (trace, span, sampled) in [
            ("abc", "0000000000000001", "true"),
            ("000000000000abcd", "0000000000000001", "yes"),
            ("000000000000abcd", "0000000000000000", "true"),
        ] {
            let bad: Vec<(String, String)> = vec![
                ("ot-tracer-traceid".into(), trace.into()),
                ("ot-tracer-spanid".into(), span.into()),
                ("ot-tracer-sampled".into(), sampled.into()),
            ];
            assert!(OtTrace.extract(&bad).is_none(), "{trace} {span} {sampled}");
        }
    }
}
