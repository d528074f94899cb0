//! Zipkin B3: one `b3` header or the `X-B3-*` headers.

use super::{Extractor, Injector, Propagator, hex_id, malformed, single};
use crate::identity::{SpanContext, SpanId, TraceId};

/// The B3 format. Injects either the single `b3` header or the
/// `X-B3-TraceId` / `X-B3-SpanId` / `X-B3-Sampled` headers; extracts
/// either. Trace ids of 64 or 128 bits are read; the debug flag (`d`,
/// `X-B3-Flags: 1`) means sampled. A deny-only `b3: 0` (no ids) yields a
/// fresh unsampled context, so nothing downstream records; an accept-only
/// `b3: 1` leaves the decision to the local sampler.
#[derive(Clone, Copy, Debug)]
pub struct B3 {
    single_header: bool,
}

impl B3 {
    /// Injects the single `b3` header.
    pub const fn single_header() -> B3 {
        B3 {
            single_header: true,
        }
    }

    /// Injects the `X-B3-*` headers.
    pub const fn multiple_headers() -> B3 {
        B3 {
            single_header: false,
        }
    }
}

impl Propagator for B3 {
    fn inject(&self, context: &SpanContext, carrier: &mut dyn Injector) {
        if !context.is_valid() {
            return;
        }
        let sampled = if context.is_sampled() { "1" } else { "0" };
        if self.single_header {
            carrier.set(
                "b3",
                format!("{}-{}-{sampled}", context.trace_id(), context.span_id()),
            );
        } else {
            carrier.set("x-b3-traceid", context.trace_id().to_string());
            carrier.set("x-b3-spanid", context.span_id().to_string());
            carrier.set("x-b3-sampled", sampled.to_owned());
        }
    }

    fn extract(&self, carrier: &dyn Extractor) -> Option<SpanContext> {
        match single(carrier, "b3") {
            Err(()) => return None,
            Ok(Some(value)) => return parse_single(value),
            Ok(None) => {}
        }
        let trace = single(carrier, "x-b3-traceid").ok()?;
        let span = single(carrier, "x-b3-spanid").ok()?;
        let sampled = single(carrier, "x-b3-sampled").ok()?;
        let debug = single(carrier, "x-b3-flags").ok()? == Some("1");
        let sampled = match sampled {
            None => debug,
            Some("1" | "true") => true,
            Some("0" | "false") => debug,
            Some(_) => return malformed(),
        };
        match (trace, span) {
            (Some(trace), Some(span)) => context(trace, span, sampled).or_else(malformed),
            (None, None) => None,
            _ => malformed(),
        }
    }
}

/// `{trace}-{span}[-{sampling}[-{parent}]]` or a lone sampling decision.
fn parse_single(value: &str) -> Option<SpanContext> {
    let parts: Vec<&str> = value.trim().split('-').collect();
    let parsed = match parts.as_slice() {
        ["0"] => return Some(deny_only()),
        ["1" | "d"] => return None,
        [trace, span] => context(trace, span, false),
        [trace, span, sampling, parent @ ..] if parent.len() <= 1 => {
            let parent_ok = parent
                .iter()
                .all(|p| p.len() == 16 && hex_id(p, 16).is_some());
            let sampled = match *sampling {
                "1" | "d" => Some(true),
                "0" => Some(false),
                _ => None,
            };
            match sampled {
                Some(sampled) if parent_ok => context(trace, span, sampled),
                _ => None,
            }
        }
        _ => None,
    };
    parsed.or_else(malformed)
}

fn context(trace: &str, span: &str, sampled: bool) -> Option<SpanContext> {
    if trace.len() != 16 && trace.len() != 32 || span.len() != 16 {
        return None;
    }
    let trace_id = TraceId::from_u128(hex_id(trace, 32)?);
    let span_id = SpanId::new(hex_id(span, 16)? as u64)?;
    Some(SpanContext::new(trace_id, span_id, sampled).into_remote())
}

/// A new trace that is not sampled: the caller said no.
fn deny_only() -> SpanContext {
    SpanContext::new(
        crate::local::new_trace_id(),
        crate::local::new_span_id(),
        false,
    )
    .into_remote()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    use crate::propagation::header_list as headers;

    #[test]
    fn the_single_header_forms_of_the_specification_parse() {
        let full = "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90";
        let context = B3::single_header()
            .extract(&headers(&[("b3", full)]))
            .unwrap();
        assert_eq!(
            context.trace_id().to_string(),
            "80f198ee56343ba864fe8b2a57d3eff7"
        );
        assert_eq!(context.span_id().to_string(), "e457b5a2e4d86bd1");
        assert!(context.is_sampled());
        let short = "64fe8b2a57d3eff7-e457b5a2e4d86bd1-d";
        let context = B3::single_header()
            .extract(&headers(&[("b3", short)]))
            .unwrap();
        assert_eq!(
            context.trace_id().to_string(),
            "000000000000000064fe8b2a57d3eff7"
        );
        assert!(context.is_sampled(), "debug means sampled");
        let unsampled = "64fe8b2a57d3eff7-e457b5a2e4d86bd1-0";
        assert!(
            !B3::single_header()
                .extract(&headers(&[("b3", unsampled)]))
                .unwrap()
                .is_sampled()
        );
    }

    #[test]
    fn deny_only_is_an_unsampled_fresh_context_and_accept_only_defers() {
        let denied = B3::single_header()
            .extract(&headers(&[("b3", "0")]))
            .unwrap();
        assert!(!denied.is_sampled() && denied.is_valid());
        assert!(
            B3::single_header()
                .extract(&headers(&[("b3", "1")]))
                .is_none()
        );
    }

    #[test]
    fn multiple_headers_parse_with_flags_and_either_case() {
        let carrier = headers(&[
            ("X-B3-TraceId", "463ac35c9f6413ad48485a3953bb6124"),
            ("X-B3-SpanId", "a2fb4a1d1a96d312"),
            ("X-B3-ParentSpanId", "0020000000000001"),
            ("X-B3-Flags", "1"),
        ]);
        let context = B3::multiple_headers().extract(&carrier).unwrap();
        assert_eq!(context.span_id().to_string(), "a2fb4a1d1a96d312");
        assert!(context.is_sampled());
    }

    #[test]
    fn malformed_b3_values_are_absent() {
        for bad in [
            "80f198ee56343ba864fe8b2a57d3eff7",
            "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-2",
            "80f198ee56343ba864fe8b2a57d3eff-e457b5a2e4d86bd1-1",
            "80f198ee56343ba864fe8b2a57d3eff7-0000000000000000-1",
            "zzf198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1",
            "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-xyz",
            "a-b-c-d-e",
        ] {
            assert!(
                B3::single_header()
                    .extract(&headers(&[("b3", bad)]))
                    .is_none(),
                "{bad}"
            );
        }
        let only_trace = headers(&[("x-b3-traceid", "463ac35c9f6413ad48485a3953bb6124")]);
        assert!(B3::multiple_headers().extract(&only_trace).is_none());
        let bad_sampled = headers(&[
            ("x-b3-traceid", "463ac35c9f6413ad48485a3953bb6124"),
            ("x-b3-spanid", "a2fb4a1d1a96d312"),
            ("x-b3-sampled", "maybe"),
        ]);
        assert!(B3::multiple_headers().extract(&bad_sampled).is_none());
    }

    #[test]
    fn both_styles_round_trip() {
        let context =
            SpanContext::new(TraceId::from_u128(0xabc), SpanId::new(0xdef).unwrap(), true);
        for b3 in [B3::single_header(), B3::multiple_headers()] {
            let mut carrier = HashMap::new();
            b3.inject(&context, &mut carrier);
            let back = b3.extract(&carrier).unwrap();
            assert_eq!(
                (back.trace_id(), back.span_id(), back.is_sampled()),
                (context.trace_id(), context.span_id(), true)
            );
        }
    }
}
