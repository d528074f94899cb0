//! The identity of a span within its trace, as data: `TraceId`,
//! `SpanId`, `SpanContext`, `Baggage`, `TraceState`. Public as
//! [`crate::context`].

use std::collections::BTreeMap;
use std::fmt;
use std::num::NonZeroU64;
use std::sync::Arc;

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
        if text.len() != 32 {
            return None;
        }
        hex_id(text, 32).map(TraceId)
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(hex(&mut [0; 32], self.0.to_be_bytes()))
    }
}

/// `bytes` as lower-case hex digits, written into `out` (twice as long):
/// what `{:032x}` writes, without the formatting machinery, which showed
/// in the cost of every `traceparent` an HTTP client sends.
pub(crate) fn hex<const N: usize>(out: &mut [u8], bytes: [u8; N]) -> &str {
    write_hex(out, bytes);
    std::str::from_utf8(&out[..2 * N]).expect("hex digits are ASCII")
}

/// [`hex`], only written: for a caller that checks a longer text once.
pub(crate) fn write_hex<const N: usize>(out: &mut [u8], bytes: [u8; N]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    // Four bytes at a time, in one 64-bit word (ids are 8 and 16 bytes).
    let mut quads = bytes.chunks_exact(4);
    let mut pairs = out.chunks_exact_mut(8);
    for (quad, eight) in (&mut quads).zip(&mut pairs) {
        let quad = u32::from_be_bytes([quad[0], quad[1], quad[2], quad[3]]);
        eight.copy_from_slice(&hex_word(quad));
    }
    let done = 8 * (N / 4);
    for (pair, byte) in out[done..].chunks_exact_mut(2).zip(quads.remainder()) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0xf)];
    }
}

/// The eight lower-case hex digits of `word`: each nibble spread into a
/// byte of its own, then turned into its digit in all bytes at once.
#[inline]
fn hex_word(word: u32) -> [u8; 8] {
    let word = u64::from(word);
    let spread = (word & 0xFFFF_0000) << 16 | word & 0xFFFF;
    let spread = (spread & 0x0000_FF00_0000_FF00) << 8 | spread & 0x0000_00FF_0000_00FF;
    let nibbles = (spread & 0x00F0_00F0_00F0_00F0) << 4 | spread & 0x000F_000F_000F_000F;
    // 1 in each byte whose nibble is 10 or more (a letter).
    let letters = ((nibbles + 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101;
    (nibbles + 0x3030_3030_3030_3030 + letters * u64::from(b'a' - b'0' - 10)).to_be_bytes()
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
        if text.len() != 16 {
            return None;
        }
        SpanId::new(hex_id(text, 16)? as u64)
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(hex(&mut [0; 16], self.0.get().to_be_bytes()))
    }
}

impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpanId({self})")
    }
}

/// Parses exactly `DIGITS` hex digits into an integer.
/// Parses 1 to `max` hex digits (either case) into a non-zero number:
/// `None` for anything else (no sign, no prefix, not all zeros).
pub(crate) fn hex_id(text: &str, max: usize) -> Option<u128> {
    if text.is_empty() || text.len() > max || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u128::from_str_radix(text, 16).ok().filter(|v| *v != 0)
}

/// Key/value strings that travel with a trace to every later span and hop.
///
/// Immutable and cheap to clone: an empty baggage holds no allocation, a
/// non-empty one is shared; adding an item makes a new copy. Each item may
/// carry W3C baggage properties (`;key=value` metadata), kept as text.
///
/// ```
/// # use tracekit_runtime::context::Baggage;
/// let empty = Baggage::default();
/// let one = empty.with("user", "7");
/// assert!(empty.is_empty());
/// assert_eq!(one.get("user"), Some("7"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Baggage(Option<Arc<BTreeMap<String, BaggageValue>>>);

#[derive(Clone, Debug, PartialEq, Eq)]
struct BaggageValue {
    value: String,
    metadata: Option<String>,
}

impl Baggage {
    /// An empty baggage (no allocation).
    pub const fn new() -> Self {
        Baggage(None)
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        Some(self.0.as_ref()?.get(key)?.value.as_str())
    }

    /// The properties of `key` (the text after its value's `;`), if any.
    pub fn metadata(&self, key: &str) -> Option<&str> {
        self.0.as_ref()?.get(key)?.metadata.as_deref()
    }

    /// A copy of this baggage with `key` set to `value`.
    pub fn with(&self, key: impl Into<String>, value: impl Into<String>) -> Baggage {
        self.with_metadata(key, value, None)
    }

    /// A copy of this baggage with `key` set to `value` and its properties.
    pub fn with_metadata(
        &self,
        key: impl Into<String>,
        value: impl Into<String>,
        metadata: Option<String>,
    ) -> Baggage {
        let mut items = self.0.as_deref().cloned().unwrap_or_default();
        items.insert(
            key.into(),
            BaggageValue {
                value: value.into(),
                metadata: metadata.filter(|m| !m.is_empty()),
            },
        );
        Baggage(Some(Arc::new(items)))
    }

    /// A baggage of `(key, value, properties)` entries, built in one go (a
    /// later entry with a key already seen replaces it).
    pub(crate) fn from_entries(
        entries: impl IntoIterator<Item = (String, String, Option<String>)>,
    ) -> Baggage {
        let items: BTreeMap<String, BaggageValue> = entries
            .into_iter()
            .map(|(key, value, metadata)| {
                (
                    key,
                    BaggageValue {
                        value,
                        metadata: metadata.filter(|m| !m.is_empty()),
                    },
                )
            })
            .collect();
        if items.is_empty() {
            Baggage(None)
        } else {
            Baggage(Some(Arc::new(items)))
        }
    }

    /// The items, ordered by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .flat_map(|items| items.iter())
            .map(|(k, v)| (k.as_str(), v.value.as_str()))
    }

    /// How many items.
    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |items| items.len())
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// This baggage with every item of `other` added (`other` wins on equal keys).
    pub fn merged(&self, other: &Baggage) -> Baggage {
        match (&self.0, &other.0) {
            (_, None) => self.clone(),
            (None, _) => other.clone(),
            (Some(mine), Some(theirs)) => {
                let mut items = (**mine).clone();
                items.extend(theirs.iter().map(|(k, v)| (k.clone(), v.clone())));
                Baggage(Some(Arc::new(items)))
            }
        }
    }
}

impl fmt::Debug for Baggage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Baggage {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(items: I) -> Self {
        let items: BTreeMap<String, BaggageValue> = items
            .into_iter()
            .map(|(k, v)| {
                (
                    k.into(),
                    BaggageValue {
                        value: v.into(),
                        metadata: None,
                    },
                )
            })
            .collect();
        if items.is_empty() {
            Baggage(None)
        } else {
            Baggage(Some(Arc::new(items)))
        }
    }
}

/// Vendor data carried by W3C `tracestate`: an ordered list of `key=value`
/// members, kept as validated text and passed on unchanged.
///
/// ```
/// # use tracekit_runtime::context::TraceState;
/// let state = TraceState::parse(["congo=t61rcWkgMzE", "rojo=00f067aa0ba902b7"]);
/// assert_eq!(state.get("rojo"), Some("00f067aa0ba902b7"));
/// assert_eq!(state.as_str(), "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
// A thin pointer (a `String` behind the `Arc`, not a `str`): every span
// holds one, mostly empty, and a wide one made each span 8 bytes larger.
pub struct TraceState(Option<Arc<String>>);

/// Members a `tracestate` keeps at most (W3C).
pub const MAX_TRACE_STATE_MEMBERS: usize = 32;

impl TraceState {
    /// An empty trace state.
    pub const fn new() -> Self {
        TraceState(None)
    }

    /// Parses one or more `tracestate` header values (several headers are
    /// one list), as the W3C test suite's strict level requires: a list
    /// with an invalid member, or with more than [`MAX_TRACE_STATE_MEMBERS`]
    /// members, is discarded whole (empty). Empty members and spaces or
    /// tabs around members are allowed; of repeated keys the first is kept.
    ///
    /// ```
    /// # use tracekit_runtime::context::TraceState;
    /// assert_eq!(TraceState::parse([" a=1 ,, b@vendor=2"]).as_str(), "a=1,b@vendor=2");
    /// assert!(TraceState::parse(["a=1,B=2"]).is_empty(), "an invalid key discards the list");
    /// ```
    pub fn parse<'a>(headers: impl IntoIterator<Item = &'a str>) -> TraceState {
        let mut kept: Vec<&str> = Vec::new();
        let mut keys: Vec<&str> = Vec::new();
        let mut members = 0;
        for member in headers.into_iter().flat_map(|h| h.split(',')) {
            let member = member.trim_matches(|c| c == ' ' || c == '\t');
            if member.is_empty() {
                continue;
            }
            members += 1;
            let Some((key, value)) = member.split_once('=') else {
                return TraceState(None);
            };
            if members > MAX_TRACE_STATE_MEMBERS
                || !valid_state_key(key)
                || !valid_state_value(value)
            {
                return TraceState(None);
            }
            if !keys.contains(&key) {
                keys.push(key);
                kept.push(member);
            }
        }
        TraceState::of_members(&kept)
    }

    fn of_members(members: &[&str]) -> TraceState {
        if members.is_empty() {
            TraceState(None)
        } else {
            TraceState(Some(Arc::new(members.join(","))))
        }
    }

    /// The members as a `tracestate` header value ("" when empty).
    pub fn as_str(&self) -> &str {
        self.0.as_deref().map_or("", String::as_str)
    }

    /// Whether there are no members.
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// The value of member `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.as_str()
            .split(',')
            .filter_map(|m| m.split_once('='))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }

    /// A copy with `key=value` first (an earlier member with that key is
    /// removed), as a vendor updates its own entry; when that makes more
    /// than [`MAX_TRACE_STATE_MEMBERS`] members, the right-most goes.
    /// `None` if the key or value is not valid.
    pub fn with(&self, key: &str, value: &str) -> Option<TraceState> {
        if !valid_state_key(key) || !valid_state_value(value) {
            return None;
        }
        let first = format!("{key}={value}");
        let mut members: Vec<&str> = std::iter::once(first.as_str())
            .chain(
                self.as_str()
                    .split(',')
                    .filter(|m| !m.is_empty() && m.split_once('=').map(|(k, _)| k) != Some(key)),
            )
            .collect();
        members.truncate(MAX_TRACE_STATE_MEMBERS);
        Some(TraceState::of_members(&members))
    }
}

impl fmt::Debug for TraceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceState({:?})", self.as_str())
    }
}

/// A key of the W3C Level 2 grammar: a lower-case letter or digit, then
/// up to 255 of lower-case letters, digits, `_`, `-`, `*`, `/` and `@`.
fn valid_state_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    let Some((first, rest)) = bytes.split_first() else {
        return false;
    };
    bytes.len() <= 256
        && (first.is_ascii_lowercase() || first.is_ascii_digit())
        && rest
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-*/@".contains(b))
}

/// Printable ASCII but `,` and `=`, at most 256 bytes, not ending in a space.
fn valid_state_value(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 256
        && !value.ends_with(' ')
        && value
            .bytes()
            .all(|b| (0x20..=0x7e).contains(&b) && b != b',' && b != b'=')
}

/// The propagated identity of a span: what a child, another thread or another
/// process needs in order to continue the trace.
#[derive(Clone, PartialEq, Eq)]
pub struct SpanContext {
    trace_id: TraceId,
    span_id: SpanId,
    sampled: bool,
    random_trace_id: bool,
    remote: bool,
    baggage: Baggage,
    trace_state: TraceState,
}

impl SpanContext {
    /// A local context with no baggage, whose trace id is not known to be
    /// random (see [`with_random_trace_id`](Self::with_random_trace_id)).
    pub const fn new(trace_id: TraceId, span_id: SpanId, sampled: bool) -> Self {
        SpanContext {
            trace_id,
            span_id,
            sampled,
            random_trace_id: false,
            remote: false,
            baggage: Baggage::new(),
            trace_state: TraceState::new(),
        }
    }

    /// A context that carries baggage and no trace: what arrives when a
    /// caller sends only a `baggage` header. It is not
    /// [valid](Self::is_valid); spans started under it start a new trace
    /// and carry its baggage.
    ///
    /// ```
    /// use tracekit_runtime::{Baggage, SpanContext};
    ///
    /// let context = SpanContext::from_baggage(Baggage::new().with("tenant", "acme"));
    /// assert!(!context.is_valid());
    /// assert_eq!(context.baggage().get("tenant"), Some("acme"));
    /// ```
    pub fn from_baggage(baggage: Baggage) -> Self {
        SpanContext::new(TraceId::INVALID, SpanId::PLACEHOLDER, false).with_baggage(baggage)
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

    /// The same context with `trace_state` in place of its own.
    pub fn with_trace_state(mut self, trace_state: TraceState) -> Self {
        self.trace_state = trace_state;
        self
    }

    /// The same context, saying whether at least the right-most 7 bytes of
    /// its trace id are random: W3C Trace Context Level 2's random flag
    /// (`0x02`). Trace ids tracekit makes are; a flag that came in goes out
    /// with every later context of that trace.
    pub const fn with_random_trace_id(mut self, random: bool) -> Self {
        self.random_trace_id = random;
        self
    }

    /// Whether the trace id is known to be random (W3C's random flag).
    pub const fn has_random_trace_id(&self) -> bool {
        self.random_trace_id
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

    /// The vendor data of W3C `tracestate`, passed on unchanged.
    pub fn trace_state(&self) -> &TraceState {
        &self.trace_state
    }

    /// Whether the ids are real (the trace id is not all zeros).
    pub const fn is_valid(&self) -> bool {
        self.trace_id.is_valid()
    }

    /// What a child inherits: the baggage and the trace state.
    pub(crate) fn into_inheritance(self) -> (Baggage, TraceState) {
        (self.baggage, self.trace_state)
    }
}

impl fmt::Debug for SpanContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpanContext")
            .field("trace_id", &format_args!("{}", self.trace_id))
            .field("span_id", &format_args!("{}", self.span_id))
            .field("sampled", &self.sampled)
            .field("random_trace_id", &self.random_trace_id)
            .field("remote", &self.remote)
            .field("baggage", &self.baggage)
            .field("trace_state", &self.trace_state)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_writes_what_the_formatter_writes() {
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        for _ in 0..2000 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let wide = u128::from(state) << 64 | u128::from(state.rotate_left(17));
            assert_eq!(
                super::hex(&mut [0; 32], wide.to_be_bytes()),
                format!("{wide:032x}")
            );
            assert_eq!(
                super::hex(&mut [0; 16], state.to_be_bytes()),
                format!("{state:016x}")
            );
            let byte = state as u8;
            assert_eq!(super::hex(&mut [0; 2], [byte]), format!("{byte:02x}"));
        }
        for edge in [0_u64, u64::MAX, 0x0a0b_0c0d_0e0f_1009] {
            assert_eq!(
                super::hex(&mut [0; 16], edge.to_be_bytes()),
                format!("{edge:016x}")
            );
        }
    }

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
    fn trace_state_keeps_order_and_the_first_of_repeated_keys() {
        let state = TraceState::parse([
            "rojo=00f067aa0ba902b7, \t,congo=t61rcWkgMzE",
            "rojo=again,tenant@vendor=x,k=v",
        ]);
        assert_eq!(
            state.as_str(),
            "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,tenant@vendor=x,k=v"
        );
        let updated = state.with("congo", "new").unwrap();
        assert_eq!(
            updated.as_str(),
            "congo=new,rojo=00f067aa0ba902b7,tenant@vendor=x,k=v"
        );
        assert!(state.with("UPPER", "v").is_none());
        assert!(TraceState::parse([""]).is_empty());
    }

    #[test]
    fn an_invalid_member_discards_the_whole_trace_state() {
        for bad in [
            "a=1,Bad=2",
            "a=1,=novalue",
            "a=1,noequals",
            "foo=bar=baz",
            "foo=,bar=3",
            "@foo=1,bar=2",
            "foo =1",
            "foo.bar=1",
            "foo=1\u{7f}",
        ] {
            assert!(TraceState::parse([bad]).is_empty(), "{bad:?}");
        }
    }

    #[test]
    fn keys_follow_the_level_2_grammar() {
        let z256 = "z".repeat(256);
        let tenant_key = format!("{}@{}", "t".repeat(241), "v".repeat(14));
        let long_tenant = format!("{}@v", "t".repeat(242));
        let long_system = format!("t@{}", "v".repeat(15));
        for key in [
            "foo@",
            "foo@@bar",
            "foo@bar@baz",
            "0digit",
            &z256,
            &tenant_key,
            &long_tenant,
            &long_system,
        ] {
            let state = TraceState::parse([format!("{key}=1,bar=2").as_str()]);
            assert_eq!(state.get(key), Some("1"), "{key}");
            assert_eq!(state.get("bar"), Some("2"), "{key}");
        }
        let z257 = "z".repeat(257);
        assert!(TraceState::parse(["foo=1", &format!("{z257}=1")]).is_empty());
    }

    #[test]
    fn more_than_32_members_discard_the_trace_state_and_adding_one_drops_the_last() {
        let members: Vec<String> = (1..=32).map(|i| format!("k{i}=v")).collect();
        let full = TraceState::parse(members.iter().map(String::as_str));
        assert_eq!(full.as_str().split(',').count(), MAX_TRACE_STATE_MEMBERS);
        let one_more = format!("{},k33=v", full.as_str());
        assert!(TraceState::parse([one_more.as_str()]).is_empty());
        let updated = full.with("new", "1").unwrap();
        assert_eq!(updated.as_str().split(',').count(), MAX_TRACE_STATE_MEMBERS);
        assert!(updated.as_str().starts_with("new=1,k1=v"));
        assert_eq!(updated.get("k32"), None, "the right-most member went");
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
