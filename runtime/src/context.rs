//! What a span shares with the rest of its trace: trace id, span id, the
//! sampled flag and baggage — the part that crosses threads, tasks and
//! process boundaries.
//!
//! ```
//! use tracekit_runtime::context::{SpanContext, SpanId, TraceId};
//!
//! let trace_id = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
//! let span_id = SpanId::from_hex("00f067aa0ba902b7").unwrap();
//! let ctx = SpanContext::new(trace_id, span_id, true).with_baggage_item("tenant", "acme");
//! assert_eq!(ctx.trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
//! assert_eq!(ctx.baggage().get("tenant"), Some("acme"));
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::num::NonZeroU64;
use std::sync::Arc;

pub use crate::scope::{Context, current};

/// A 128-bit trace identifier. All zeros is the invalid id of W3C Trace
/// Context; the tracer never generates it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TraceId(u128);

impl TraceId {
    /// The all-zero id, which marks "no trace".
    pub const INVALID: TraceId = TraceId(0);

    /// Wraps a raw 128-bit value.
    pub const fn from_u128(value: u128) -> Self {
        TraceId(value)
    }

    /// The raw 128-bit value.
    pub const fn to_u128(self) -> u128 {
        self.0
    }

    /// Whether this is a real id (not all zeros).
    pub const fn is_valid(self) -> bool {
        self.0 != 0
    }

    /// The 16 bytes, most significant first, as the wire formats carry them.
    pub const fn to_bytes(self) -> [u8; 16] {
        self.0.to_be_bytes()
    }

    /// Parses exactly 32 hex digits (either case). Returns `None` for any
    /// other length, a non-hex digit, or the all-zero id.
    ///
    /// ```
    /// # use tracekit_runtime::context::TraceId;
    /// assert!(TraceId::from_hex("0af7651916cd43dd8448eb211c80319c").is_some());
    /// assert!(TraceId::from_hex("00000000000000000000000000000000").is_none());
    /// assert!(TraceId::from_hex("xyz").is_none());
    /// ```
    pub fn from_hex(text: &str) -> Option<Self> {
        let value = parse_hex::<32>(text)?;
        (value != 0).then_some(TraceId(value))
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({self})")
    }
}

/// A 64-bit span identifier, never zero.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpanId(NonZeroU64);

impl SpanId {
    /// Stands in where a span id is required but no span exists (noop spans).
    pub(crate) const PLACEHOLDER: SpanId = SpanId(NonZeroU64::MIN);

    /// Wraps a raw value; `None` for zero, which is not a span id.
    pub const fn new(value: u64) -> Option<Self> {
        match NonZeroU64::new(value) {
            Some(v) => Some(SpanId(v)),
            None => None,
        }
    }

    /// The raw value.
    pub const fn to_u64(self) -> u64 {
        self.0.get()
    }

    /// The 8 bytes, most significant first.
    pub const fn to_bytes(self) -> [u8; 8] {
        self.0.get().to_be_bytes()
    }

    /// Parses exactly 16 hex digits; `None` for anything else or for zero.
    ///
    /// ```
    /// # use tracekit_runtime::context::SpanId;
    /// assert_eq!(SpanId::from_hex("00f067aa0ba902b7").unwrap().to_u64(), 0x00f067aa0ba902b7);
    /// assert!(SpanId::from_hex("0000000000000000").is_none());
    /// ```
    pub fn from_hex(text: &str) -> Option<Self> {
        SpanId::new(parse_hex::<16>(text)? as u64)
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpanId({self})")
    }
}

/// Parses exactly `DIGITS` hex digits into an integer.
fn parse_hex<const DIGITS: usize>(text: &str) -> Option<u128> {
    if text.len() != DIGITS || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u128::from_str_radix(text, 16).ok()
}

/// Key/value strings that travel with a trace to every later span and hop.
///
/// Immutable and cheap to clone: an empty baggage holds no allocation, a
/// non-empty one is shared; adding an item makes a new copy.
///
/// ```
/// # use tracekit_runtime::context::Baggage;
/// let empty = Baggage::default();
/// let one = empty.with("user", "7");
/// assert!(empty.is_empty());
/// assert_eq!(one.get("user"), Some("7"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Baggage(Option<Arc<BTreeMap<String, String>>>);

impl Baggage {
    /// An empty baggage (no allocation).
    pub const fn new() -> Self {
        Baggage(None)
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.as_ref()?.get(key).map(String::as_str)
    }

    /// A copy of this baggage with `key` set to `value`.
    pub fn with(&self, key: impl Into<String>, value: impl Into<String>) -> Baggage {
        let mut items = self.0.as_deref().cloned().unwrap_or_default();
        items.insert(key.into(), value.into());
        Baggage(Some(Arc::new(items)))
    }

    /// The items, ordered by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .flat_map(|items| items.iter())
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// How many items.
    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |items| items.len())
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for Baggage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Baggage {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(items: I) -> Self {
        let items: BTreeMap<String, String> = items
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        if items.is_empty() {
            Baggage(None)
        } else {
            Baggage(Some(Arc::new(items)))
        }
    }
}

/// The propagated identity of a span: what a child, another thread or another
/// process needs in order to continue the trace.
#[derive(Clone, PartialEq, Eq)]
pub struct SpanContext {
    trace_id: TraceId,
    span_id: SpanId,
    sampled: bool,
    remote: bool,
    baggage: Baggage,
}

impl SpanContext {
    /// A local context with no baggage.
    pub const fn new(trace_id: TraceId, span_id: SpanId, sampled: bool) -> Self {
        SpanContext {
            trace_id,
            span_id,
            sampled,
            remote: false,
            baggage: Baggage::new(),
        }
    }

    /// The same context marked as coming from another process (extracted
    /// from a carrier). Spans started under it record a remote parent.
    pub fn into_remote(mut self) -> Self {
        self.remote = true;
        self
    }

    /// The same context with `baggage` in place of its own.
    pub fn with_baggage(mut self, baggage: Baggage) -> Self {
        self.baggage = baggage;
        self
    }

    /// The same context with one more baggage item.
    pub fn with_baggage_item(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.baggage = self.baggage.with(key, value);
        self
    }

    /// The trace this span belongs to.
    pub const fn trace_id(&self) -> TraceId {
        self.trace_id
    }

    /// This span's id.
    pub const fn span_id(&self) -> SpanId {
        self.span_id
    }

    /// Whether the trace is recorded; an unsampled context still propagates.
    pub const fn is_sampled(&self) -> bool {
        self.sampled
    }

    /// Whether this context was extracted from another process.
    pub const fn is_remote(&self) -> bool {
        self.remote
    }

    /// The baggage carried with this context.
    pub fn baggage(&self) -> &Baggage {
        &self.baggage
    }

    /// Whether the ids are real (the trace id is not all zeros).
    pub const fn is_valid(&self) -> bool {
        self.trace_id.is_valid()
    }
}

impl fmt::Debug for SpanContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpanContext")
            .field("trace_id", &format_args!("{}", self.trace_id))
            .field("span_id", &format_args!("{}", self.span_id))
            .field("sampled", &self.sampled)
            .field("remote", &self.remote)
            .field("baggage", &self.baggage)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_print_as_fixed_width_lowercase_hex() {
        assert_eq!(
            TraceId::from_u128(0xab).to_string(),
            "000000000000000000000000000000ab"
        );
        assert_eq!(SpanId::new(0xab).unwrap().to_string(), "00000000000000ab");
    }

    #[test]
    fn hex_parsing_rejects_wrong_lengths_signs_and_zero() {
        assert!(TraceId::from_hex("+bf92f3577b34da6a3ce929d0e0e4736").is_none());
        assert!(TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e473").is_none());
        assert!(SpanId::from_hex("00f067aa0ba902b").is_none());
        assert!(SpanId::from_hex("00F067AA0BA902B7").is_some());
    }

    #[test]
    fn adding_baggage_leaves_the_original_untouched() {
        let a = Baggage::default().with("k", "1");
        let b = a.with("k", "2").with("j", "3");
        assert_eq!(a.get("k"), Some("1"));
        assert_eq!(b.get("k"), Some("2"));
        assert_eq!(b.iter().collect::<Vec<_>>(), vec![("j", "3"), ("k", "2")]);
    }
}
