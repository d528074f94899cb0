//! Carrying a span context across process boundaries: inject it into
//! outgoing headers (or any text map), extract it from incoming ones.
//!
//! Formats: [`TraceContext`] (W3C `traceparent` / `tracestate`),
//! [`W3cBaggage`] (W3C `baggage`), [`B3`] (single `b3` header or the
//! `X-B3-*` headers), [`Jaeger`] (`uber-trace-id`, `uberctx-*`) and
//! [`OtTrace`] (`ot-tracer-*`, `ot-baggage-*`); [`Composite`] runs several.
//! A malformed value is treated as absent — never a panic, never half a
//! context — and counted ([`malformed_count`], also in `Tracer::stats`).
//! Whatever arrives is capped (a value at 8192 bytes, baggage at 180 items
//! and 8192 bytes in every format; past the caps the rest is cut and
//! counted), read in time linear in its size, and written back out only as
//! valid header names and values.
//! Baggage travels on its own, as in OpenTelemetry: baggage that arrives
//! without trace ids is extracted as a context that is not
//! [valid](SpanContext::is_valid) but carries it, and spans started under
//! it start a new trace with that baggage.
//!
//! ```
//! use std::collections::HashMap;
//! use tracekit_runtime::propagation::{Composite, Propagator};
//! use tracekit_runtime::{SpanContext, SpanId, TraceId};
//!
//! let propagator = Composite::default(); // tracecontext + baggage
//! let context = SpanContext::new(TraceId::from_u128(7), SpanId::new(9).unwrap(), true)
//!     .with_baggage_item("tenant", "acme");
//! let mut headers = HashMap::new();
//! propagator.inject(&context, &mut headers);
//! assert_eq!(headers["traceparent"], "00-00000000000000000000000000000007-0000000000000009-01");
//!
//! let extracted = propagator.extract(&headers).unwrap();
//! assert_eq!(extracted.span_id(), context.span_id());
//! assert!(extracted.is_remote());
//! assert_eq!(extracted.baggage().get("tenant"), Some("acme"));
//! ```

mod b3;
mod baggage;
mod binary;
mod carrier;
#[cfg(feature = "http")]
mod header_map;
mod jaeger;
mod ottrace;
mod prefixed;
mod tracecontext;

pub use b3::B3;
pub use baggage::W3cBaggage;
pub use binary::{BINARY_VERSION, extract_binary, inject_binary};
pub use carrier::{Extractor, Injector};
pub use jaeger::Jaeger;
pub use ottrace::OtTrace;
pub use tracecontext::TraceContext;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::identity::{Baggage, SpanContext};

/// A propagation format.
pub trait Propagator: Send + Sync + 'static {
    /// Writes `context` into `carrier`. A context without valid ids writes
    /// no ids and no baggage of the id formats (B3, Jaeger, OpenTracing);
    /// the W3C baggage format, which carries baggage on its own, writes
    /// the baggage of any context.
    fn inject(&self, context: &SpanContext, carrier: &mut dyn Injector);

    /// Reads a context from `carrier`: `None` when absent or malformed.
    /// An extracted context is remote. A format that carries no ids
    /// (W3C baggage) returns `None` here and its baggage through
    /// [`extract_baggage`](Self::extract_baggage).
    fn extract(&self, carrier: &dyn Extractor) -> Option<SpanContext>;

    /// Whether this format carries trace and span ids (W3C baggage does
    /// not: it only adds baggage to what the others extract).
    fn carries_ids(&self) -> bool {
        true
    }

    /// The baggage this format carries on its own (for formats that carry
    /// no ids).
    fn extract_baggage(&self, carrier: &dyn Extractor) -> Baggage {
        let _ = carrier;
        Baggage::new()
    }
}

/// Several formats at once: `inject` writes all of them; `extract` takes
/// the ids from the first format that has them, and adds the baggage of
/// every baggage-only format. Baggage without ids is extracted as a
/// context of baggage alone ([`SpanContext::from_baggage`]).
///
/// ```
/// use tracekit_runtime::propagation::{Composite, Propagator};
///
/// let only_baggage = vec![("baggage".to_owned(), "tenant=acme".to_owned())];
/// let context = Composite::default().extract(&only_baggage).unwrap();
/// assert!(!context.is_valid());
/// assert_eq!(context.baggage().get("tenant"), Some("acme"));
/// ```
#[derive(Clone)]
pub struct Composite {
    propagators: Vec<Arc<dyn Propagator>>,
}

impl Composite {
    /// The given formats, in extraction order.
    pub fn new(propagators: Vec<Arc<dyn Propagator>>) -> Self {
        Composite { propagators }
    }

    /// Formats named as in `OTEL_PROPAGATORS`: `tracecontext`, `baggage`,
    /// `b3` (single header), `b3multi`, `jaeger`, `ottrace`, `none`,
    /// separated by commas.
    ///
    /// ```
    /// use tracekit_runtime::propagation::Composite;
    ///
    /// assert!(Composite::from_names("tracecontext,b3multi").is_ok());
    /// assert!(Composite::from_names("tracecontext,zipkin").is_err());
    /// ```
    pub fn from_names(names: &str) -> Result<Composite, UnknownPropagator> {
        let mut propagators: Vec<Arc<dyn Propagator>> = Vec::new();
        for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            propagators.push(match name {
                "tracecontext" => Arc::new(TraceContext),
                "baggage" => Arc::new(W3cBaggage),
                "b3" => Arc::new(B3::single_header()),
                "b3multi" => Arc::new(B3::multiple_headers()),
                "jaeger" => Arc::new(Jaeger),
                "ottrace" => Arc::new(OtTrace),
                "none" => continue,
                other => return Err(UnknownPropagator(other.to_owned())),
            });
        }
        Ok(Composite::new(propagators))
    }
}

impl Default for Composite {
    /// `tracecontext,baggage`, the OpenTelemetry default.
    fn default() -> Self {
        Composite::new(vec![Arc::new(TraceContext), Arc::new(W3cBaggage)])
    }
}

impl fmt::Debug for Composite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Composite({} formats)", self.propagators.len())
    }
}

impl Propagator for Composite {
    fn inject(&self, context: &SpanContext, carrier: &mut dyn Injector) {
        for propagator in &self.propagators {
            propagator.inject(context, carrier);
        }
    }

    fn extract(&self, carrier: &dyn Extractor) -> Option<SpanContext> {
        let mut found: Option<SpanContext> = None;
        let mut baggage = Baggage::new();
        for propagator in &self.propagators {
            if !propagator.carries_ids() {
                let extracted = propagator.extract_baggage(carrier);
                if !extracted.is_empty() {
                    baggage = baggage.merged(&extracted);
                }
            } else if found.is_none() {
                found = propagator.extract(carrier);
            }
        }
        match found {
            Some(context) => {
                let merged = context.baggage().merged(&baggage);
                Some(context.with_baggage(merged))
            }
            None if !baggage.is_empty() => Some(SpanContext::from_baggage(baggage)),
            None => None,
        }
    }
}

/// An `OTEL_PROPAGATORS` name that is not a known format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownPropagator(pub String);

impl fmt::Display for UnknownPropagator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown propagator {:?}: expected tracecontext, baggage, b3, b3multi, jaeger, ottrace or none",
            self.0
        )
    }
}

impl std::error::Error for UnknownPropagator {}

static MALFORMED: AtomicU64 = AtomicU64::new(0);

/// How many malformed propagation values were ignored in this process.
pub fn malformed_count() -> u64 {
    MALFORMED.load(Ordering::Relaxed)
}

/// Notes one malformed value; returns `None` so parsers can end with it.
pub(crate) fn malformed<T>() -> Option<T> {
    count_malformed(1);
    None
}

/// Notes `count` malformed values at once (a header can hold thousands).
pub(crate) fn count_malformed(count: usize) {
    if count > 0 {
        MALFORMED.fetch_add(count as u64, Ordering::Relaxed);
    }
}

/// The one value of `key`: `Ok(None)` when absent, `Err(())` (already
/// counted) when repeated with different values, too long, or carrying
/// control characters.
pub(crate) fn single<'a>(carrier: &'a dyn Extractor, key: &str) -> Result<Option<&'a str>, ()> {
    let (first, differs) = carrier.first_value(key);
    let Some(first) = first else {
        return Ok(None);
    };
    if differs || !clean(first) {
        malformed::<()>();
        return Err(());
    }
    Ok(Some(first))
}

/// Longest header value accepted (the W3C baggage limit; ids are far shorter).
pub(crate) const MAX_VALUE_LEN: usize = 8192;

/// No control characters (CR, LF, NUL, ...) and not oversize.
pub(crate) fn clean(value: &str) -> bool {
    value.len() <= MAX_VALUE_LEN && no_controls(value)
}

/// `token` characters of RFC 7230: what header names and baggage keys
/// are made of.
pub(crate) fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// No control characters (CR, LF, NUL, ...); tabs are whitespace.
pub(crate) fn no_controls(value: &str) -> bool {
    // No early exit: a fold the compiler turns into vector code, as a
    // header may be large.
    !value.bytes().fold(false, |found, b| {
        found | ((b < 0x20) & (b != b'\t')) | (b == 0x7f)
    })
}

pub(crate) use crate::identity::hex_id;

/// Percent-decodes `text`; `None` for a bad escape or invalid UTF-8.
pub(crate) fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Percent-encodes every byte not in `keep`.
pub(crate) fn percent_encode(text: &str, keep: impl Fn(u8) -> bool) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if keep(byte) {
            out.push(byte as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(byte >> 4)] as char);
            out.push(HEX[usize::from(byte & 0xf)] as char);
        }
    }
    out
}

/// A carrier of `(key, value)` pairs, for tests.
#[cfg(test)]
pub(crate) fn header_list(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn percent_coding_round_trips_and_rejects_bad_escapes() {
        let encoded = percent_encode("a b,ü%", |b| b.is_ascii_alphanumeric());
        assert_eq!(encoded, "a%20b%2C%C3%BC%25");
        assert_eq!(percent_decode(&encoded).as_deref(), Some("a b,ü%"));
        assert_eq!(percent_decode("%G1"), None);
        assert_eq!(percent_decode("%4"), None);
        assert_eq!(percent_decode("%FF"), None, "not UTF-8");
    }

    #[test]
    fn conflicting_duplicates_and_control_characters_are_malformed() {
        let carrier = vec![
            ("X".to_owned(), "1".to_owned()),
            ("x".to_owned(), "2".to_owned()),
        ];
        let before = malformed_count();
        assert_eq!(single(&carrier, "x"), Err(()));
        let same = vec![
            ("X".to_owned(), "1".to_owned()),
            ("x".to_owned(), "1".to_owned()),
        ];
        assert_eq!(single(&same, "x"), Ok(Some("1")));
        let mut control = HashMap::new();
        control.insert("x".to_owned(), "a\r\nb".to_owned());
        assert_eq!(single(&control, "x"), Err(()));
        assert!(malformed_count() >= before + 2);
    }

    #[test]
    fn unknown_propagator_names_are_errors() {
        assert_eq!(
            Composite::from_names("tracecontext, nope").unwrap_err(),
            UnknownPropagator("nope".into())
        );
        assert_eq!(Composite::from_names("none").unwrap().propagators.len(), 0);
    }
}
