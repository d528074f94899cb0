//! The binary format (OpenTracing `BINARY`): a versioned byte layout for
//! carriers that hold bytes, not text.
//!
//! Version 1, all integers big-endian:
//!
//! | bytes | field |
//! | --- | --- |
//! | 1 | version (1) |
//! | 16 | trace id |
//! | 8 | span id |
//! | 1 | flags (bit 0: sampled) |
//! | 2 | number of baggage items |
//! | per item: 2 + n + 2 + m | key length, key (UTF-8), value length, value (UTF-8) |

use super::baggage::MAX_ENTRIES;
use super::malformed;
use crate::identity::{Baggage, SpanContext, SpanId, TraceId};

/// The layout version written by [`inject_binary`].
pub const BINARY_VERSION: u8 = 1;

/// Encodes `context`; empty for an invalid context. Baggage items whose key
/// or value exceed 65535 bytes, and items past 180, are left out.
///
/// ```
/// use tracekit_runtime::propagation::{extract_binary, inject_binary};
/// use tracekit_runtime::{SpanContext, SpanId, TraceId};
///
/// let context = SpanContext::new(TraceId::from_u128(1), SpanId::new(2).unwrap(), true)
///     .with_baggage_item("k", "v");
/// let bytes = inject_binary(&context);
/// let back = extract_binary(&bytes).unwrap();
/// assert_eq!((back.trace_id(), back.span_id()), (context.trace_id(), context.span_id()));
/// assert_eq!(back.baggage().get("k"), Some("v"));
/// ```
pub fn inject_binary(context: &SpanContext) -> Vec<u8> {
    if !context.is_valid() {
        return Vec::new();
    }
    let items: Vec<(&str, &str)> = context
        .baggage()
        .iter()
        .filter(|(k, v)| k.len() <= usize::from(u16::MAX) && v.len() <= usize::from(u16::MAX))
        .take(MAX_ENTRIES)
        .collect();
    let mut out = Vec::with_capacity(
        28 + items
            .iter()
            .map(|(k, v)| 4 + k.len() + v.len())
            .sum::<usize>(),
    );
    out.push(BINARY_VERSION);
    out.extend_from_slice(&context.trace_id().to_bytes());
    out.extend_from_slice(&context.span_id().to_bytes());
    out.push(u8::from(context.is_sampled()));
    out.extend_from_slice(&(items.len() as u16).to_be_bytes());
    for (key, value) in items {
        for text in [key, value] {
            out.extend_from_slice(&(text.len() as u16).to_be_bytes());
            out.extend_from_slice(text.as_bytes());
        }
    }
    out
}

/// Decodes a context written by [`inject_binary`]; `None` (counted as
/// malformed) for an unknown version, a short or overlong buffer, zero
/// ids, too many items or text that is not UTF-8.
pub fn extract_binary(bytes: &[u8]) -> Option<SpanContext> {
    if bytes.is_empty() {
        return None;
    }
    decode(bytes).or_else(malformed)
}

fn decode(bytes: &[u8]) -> Option<SpanContext> {
    let mut reader = Reader(bytes);
    if reader.take(1)? != [BINARY_VERSION] {
        return None;
    }
    let trace_id = TraceId::from_u128(u128::from_be_bytes(reader.take(16)?.try_into().ok()?));
    let span_id = SpanId::new(u64::from_be_bytes(reader.take(8)?.try_into().ok()?))?;
    let sampled = reader.take(1)?[0] & 1 == 1;
    let count = reader.u16()?;
    if !trace_id.is_valid() || usize::from(count) > MAX_ENTRIES {
        return None;
    }
    let mut baggage = Baggage::new();
    for _ in 0..count {
        let key = reader.text()?;
        let value = reader.text()?;
        baggage = baggage.with(key, value);
    }
    reader.0.is_empty().then(|| {
        SpanContext::new(trace_id, span_id, sampled)
            .into_remote()
            .with_baggage(baggage)
    })
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes(self.take(2)?.try_into().ok()?))
    }

    fn text(&mut self) -> Option<&'a str> {
        let len = usize::from(self.u16()?);
        std::str::from_utf8(self.take(len)?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_is_versioned_and_exact() {
        let context = SpanContext::new(
            TraceId::from_u128(0x0102),
            SpanId::new(0x0304).unwrap(),
            true,
        );
        let bytes = inject_binary(&context);
        assert_eq!(bytes.len(), 28);
        assert_eq!(bytes[0], BINARY_VERSION);
        assert_eq!(&bytes[15..17], &[1, 2]);
        assert_eq!(&bytes[23..25], &[3, 4]);
        assert_eq!(bytes[25], 1);
    }

    #[test]
    fn damaged_buffers_are_absent() {
        let context = SpanContext::new(TraceId::from_u128(1), SpanId::new(2).unwrap(), false)
            .with_baggage_item("k", "v");
        let good = inject_binary(&context);
        assert!(extract_binary(&good).is_some());
        for cut in 0..good.len() {
            assert!(extract_binary(&good[..cut]).is_none(), "truncated at {cut}");
        }
        let mut longer = good.clone();
        longer.push(0);
        assert!(extract_binary(&longer).is_none());
        let mut version = good.clone();
        version[0] = 2;
        assert!(extract_binary(&version).is_none());
        let mut not_utf8 = good.clone();
        let last = not_utf8.len() - 1;
        not_utf8[last] = 0xff;
        assert!(extract_binary(&not_utf8).is_none());
    }
}
