//! W3C Trace Context: `traceparent` and `tracestate`.

use super::{Extractor, Injector, Propagator, malformed, single};
use crate::identity::{SpanContext, SpanId, TraceId, TraceState, write_hex};

/// The W3C Trace Context format: `traceparent:
/// 00-{trace-id}-{parent-id}-{flags}` and `tracestate`.
///
/// Extraction is strict: lower-case hex only, all-zero ids and version
/// `ff` rejected, version `00` exactly 55 characters; a higher version is
/// read as `00` when its first four fields parse and are followed by `-` or
/// the end. Spaces and tabs around a value are ignored, in every carrier.
/// The flags kept are sampled (`0x01`) and Level 2's random trace id
/// (`0x02`), which goes out again with the same trace id. A `tracestate`
/// list with an invalid member or more than 32 members is discarded whole,
/// as the W3C test suite's strict level requires (see [`TraceState::parse`]).
///
/// ```
/// use tracekit_runtime::propagation::{Propagator, TraceContext};
///
/// let incoming = vec![(
///     "traceparent".to_owned(),
///     " 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03\t".to_owned(),
/// )];
/// let context = TraceContext.extract(&incoming).unwrap();
/// assert!(context.is_sampled() && context.has_random_trace_id());
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct TraceContext;

pub(super) const TRACEPARENT: &str = "traceparent";
pub(super) const TRACESTATE: &str = "tracestate";

impl Propagator for TraceContext {
    fn inject(&self, context: &SpanContext, carrier: &mut dyn Injector) {
        if !context.is_valid() {
            return;
        }
        let flags = u8::from(context.is_sampled()) | u8::from(context.has_random_trace_id()) << 1;
        // `00-{trace id}-{span id}-{flags}`, written in place.
        let mut traceparent = *b"00-________________________________-________________-__";
        write_hex(&mut traceparent[3..35], context.trace_id().to_bytes());
        write_hex(&mut traceparent[36..52], context.span_id().to_bytes());
        write_hex(&mut traceparent[53..55], [flags]);
        if let Ok(traceparent) = std::str::from_utf8(&traceparent) {
            carrier.set(TRACEPARENT, traceparent.to_owned());
        }
        if !context.trace_state().is_empty() {
            carrier.set(TRACESTATE, context.trace_state().as_str().to_owned());
        }
    }

    fn extract(&self, carrier: &dyn Extractor) -> Option<SpanContext> {
        let value = single(carrier, TRACEPARENT).ok()??;
        let (trace_id, span_id, flags) = parse_traceparent(trim_ows(value)).or_else(malformed)?;
        Some(
            SpanContext::new(trace_id, span_id, flags & 1 == 1)
                .with_random_trace_id(flags & 2 == 2)
                .into_remote()
                .with_trace_state(extract_trace_state(carrier)),
        )
    }
}

/// The `tracestate` list, or none when it is malformed (counted).
fn extract_trace_state(carrier: &dyn Extractor) -> TraceState {
    let headers = carrier.get_all(TRACESTATE);
    if !headers.iter().all(|h| super::clean(h)) {
        malformed::<()>();
        return TraceState::new();
    }
    let state = TraceState::parse(headers.iter().copied());
    let had_members = headers
        .iter()
        .flat_map(|h| h.split(','))
        .any(|m| !trim_ows(m).is_empty());
    if state.is_empty() && had_members {
        malformed::<()>();
    }
    state
}

/// `value` without the optional whitespace (spaces, tabs) HTTP allows
/// around it.
fn trim_ows(value: &str) -> &str {
    value.trim_matches(|c| c == ' ' || c == '\t')
}

/// The trace id, span id and flags of a `traceparent` value.
fn parse_traceparent(value: &str) -> Option<(TraceId, SpanId, u8)> {
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
    trace_id.is_valid().then_some((trace_id, span_id, flags))
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
    fn several_tracestate_headers_form_one_list_and_a_bad_one_discards_it() {
        let parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        let headers = carrier(&[
            ("traceparent", parent),
            ("tracestate", "a=1"),
            ("tracestate", "b=2, c=3"),
        ]);
        let context = TraceContext.extract(&headers).unwrap();
        assert_eq!(context.trace_state().as_str(), "a=1,b=2,c=3");
        let before = crate::propagation::malformed_count();
        let bad = carrier(&[
            ("traceparent", parent),
            ("tracestate", "a=1"),
            ("tracestate", "b=2,INVALID=3"),
        ]);
        let context = TraceContext.extract(&bad).unwrap();
        assert!(context.trace_state().is_empty());
        assert!(crate::propagation::malformed_count() > before, "counted");
    }

    #[test]
    fn whitespace_around_values_is_ignored() {
        for value in [
            " 00-12345678901234567890123456789012-1234567890123456-01",
            "\t00-12345678901234567890123456789012-1234567890123456-01",
            "00-12345678901234567890123456789012-1234567890123456-01 ",
            "\t 00-12345678901234567890123456789012-1234567890123456-01 \t",
        ] {
            let headers = carrier(&[("traceparent", value), ("tracestate", " \tfoo=1 \t")]);
            let context = TraceContext.extract(&headers).expect(value);
            assert_eq!(
                context.trace_id().to_string(),
                "12345678901234567890123456789012"
            );
            assert_eq!(context.trace_state().get("foo"), Some("1"));
        }
    }

    #[test]
    fn the_random_flag_comes_in_and_goes_out_with_the_trace() {
        let value = "00-12345678901234567890123456789012-1234567890123456-02";
        let context = TraceContext
            .extract(&carrier(&[("traceparent", value)]))
            .unwrap();
        assert!(context.has_random_trace_id() && !context.is_sampled());
        let mut out = HashMap::new();
        TraceContext.inject(&context, &mut out);
        assert!(out["traceparent"].ends_with("-02"));
        let sampled = context.clone().with_random_trace_id(false);
        let mut out = HashMap::new();
        TraceContext.inject(&sampled, &mut out);
        assert!(out["traceparent"].ends_with("-00"));
    }

    #[test]
    fn an_invalid_context_injects_nothing() {
        let invalid = SpanContext::new(TraceId::INVALID, SpanId::new(1).unwrap(), true);
        let mut out = HashMap::new();
        TraceContext.inject(&invalid, &mut out);
        assert!(out.is_empty());
    }
}
