//! W3C Trace Context: `traceparent` and `tracestate`.

use super::{Extractor, Injector, Propagator, malformed, single};
use crate::context::{SpanContext, SpanId, TraceId, TraceState};

/// The W3C Trace Context format: `traceparent:
/// 00-{trace-id}-{parent-id}-{flags}` and `tracestate`.
///
/// Extraction is strict: lower-case hex only, all-zero ids and version
/// `ff` rejected, version `00` exactly 55 characters; a higher version is
/// read as `00` when its first four fields parse and are followed by `-` or
/// the end. The tracestate list is kept (at most 32 valid members).
#[derive(Clone, Copy, Debug, Default)]
pub struct TraceContext;

const TRACEPARENT: &str = "traceparent";
const TRACESTATE: &str = "tracestate";

impl Propagator for TraceContext {
    fn inject(&self, context: &SpanContext, carrier: &mut dyn Injector) {
        if !context.is_valid() {
            return;
        }
        carrier.set(
            TRACEPARENT,
            format!(
                "00-{}-{}-{:02x}",
                context.trace_id(),
                context.span_id(),
                u8::from(context.is_sampled())
            ),
        );
        if !context.trace_state().is_empty() {
            carrier.set(TRACESTATE, context.trace_state().as_str().to_owned());
        }
    }

    fn extract(&self, carrier: &dyn Extractor) -> Option<SpanContext> {
        let value = single(carrier, TRACEPARENT).ok()??;
        let (trace_id, span_id, sampled) = parse_traceparent(value).or_else(malformed)?;
        let states = carrier.get_all(TRACESTATE);
        let trace_state = TraceState::parse(states.into_iter().filter(|s| super::clean(s)));
        Some(
            SpanContext::new(trace_id, span_id, sampled)
                .into_remote()
                .with_trace_state(trace_state),
        )
    }
}

fn parse_traceparent(value: &str) -> Option<(TraceId, SpanId, bool)> {
    // Header values are ASCII; checking first also makes the slicing below
    // safe (a multi-byte character could not split a slice).
    if !value.is_ascii() {
        return None;
    }
    let bytes = value.as_bytes();
    if bytes.len() < 55 || bytes[2] != b'-' || bytes[35] != b'-' || bytes[52] != b'-' {
        return None;
    }
    let version = lower_hex(&value[0..2])? as u8;
    match version {
        0xff => return None,
        0 if bytes.len() != 55 => return None,
        _ if bytes.len() > 55 && bytes[55] != b'-' => return None,
        _ => {}
    }
    let trace_id = TraceId::from_u128(lower_hex(&value[3..35])?);
    let span_id = SpanId::new(lower_hex(&value[36..52])? as u64)?;
    let flags = lower_hex(&value[53..55])? as u8;
    trace_id
        .is_valid()
        .then_some((trace_id, span_id, flags & 1 == 1))
}

/// Lower-case hex digits only, as W3C requires.
fn lower_hex(text: &str) -> Option<u128> {
    if !text
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    u128::from_str_radix(text, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    use crate::propagation::header_list as carrier;

    #[test]
    fn the_specification_example_round_trips() {
        let headers = carrier(&[
            (
                "traceparent",
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            ),
            ("tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"),
        ]);
        let context = TraceContext.extract(&headers).unwrap();
        assert_eq!(
            context.trace_id().to_string(),
            "0af7651916cd43dd8448eb211c80319c"
        );
        assert_eq!(context.span_id().to_string(), "b7ad6b7169203331");
        assert!(context.is_sampled() && context.is_remote());
        let mut out = HashMap::new();
        TraceContext.inject(&context, &mut out);
        assert_eq!(
            out["traceparent"],
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        );
        assert_eq!(out["tracestate"], "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
    }

    #[test]
    fn malformed_traceparents_are_absent() {
        for bad in [
            "",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
            "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
            "00-00000000000000000000000000000000-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
            "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
            "0x-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0g",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333\u{e9}-01",
            "cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x",
        ] {
            let before = super::super::malformed_count();
            assert!(
                TraceContext
                    .extract(&carrier(&[("traceparent", bad)]))
                    .is_none(),
                "{bad:?}"
            );
            assert!(
                bad.is_empty() || super::super::malformed_count() > before,
                "{bad:?} counted"
            );
        }
    }

    #[test]
    fn a_higher_version_is_read_by_its_version_00_fields() {
        let future =
            "cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what-the-future-holds";
        let context = TraceContext
            .extract(&carrier(&[("traceparent", future)]))
            .unwrap();
        assert_eq!(context.span_id().to_string(), "b7ad6b7169203331");
        let exact = "cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
        assert!(
            !TraceContext
                .extract(&carrier(&[("traceparent", exact)]))
                .unwrap()
                .is_sampled()
        );
    }

    #[test]
    fn the_sampled_flag_is_bit_0_and_other_flags_are_ignored() {
        let value = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03";
        assert!(
            TraceContext
                .extract(&carrier(&[("traceparent", value)]))
                .unwrap()
                .is_sampled()
        );
        let value = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-02";
        assert!(
            !TraceContext
                .extract(&carrier(&[("traceparent", value)]))
                .unwrap()
                .is_sampled()
        );
    }

    #[test]
    fn several_tracestate_headers_form_one_list() {
        let headers = carrier(&[
            (
                "traceparent",
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            ),
            ("tracestate", "a=1"),
            ("tracestate", "b=2,INVALID=3"),
        ]);
        let context = TraceContext.extract(&headers).unwrap();
        assert_eq!(context.trace_state().as_str(), "a=1,b=2");
    }

    #[test]
    fn an_invalid_context_injects_nothing() {
        let invalid = SpanContext::new(TraceId::INVALID, SpanId::new(1).unwrap(), true);
        let mut out = HashMap::new();
        TraceContext.inject(&invalid, &mut out);
        assert!(out.is_empty());
    }
}
