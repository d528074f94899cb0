//! W3C Baggage: `baggage: key1=value1;property,key2=value2`.

use super::{
    Extractor, Injector, Propagator, count_malformed, is_token, malformed, percent_decode,
    percent_encode,
};
use crate::identity::{Baggage, SpanContext};

/// The W3C Baggage format. Values are percent-encoded (spaces as `%20`,
/// `+` as `%2B`; an incoming `+` reads as a space, as OpenTelemetry's Python
/// and Java SDKs write spaces); properties after a `;` are kept. Both ways
/// only what the W3C grammar allows passes: a member with a key that is
/// not a token or a value that is not `baggage-octet`s (or a bad escape)
/// is dropped, and so is a property that is not `key` or `key=value` of
/// that kind (an empty one, quotes, spaces, non-ASCII), alone: the member
/// and its other properties go on. The limits of the specification hold
/// both ways: at most 180 entries, 4096 bytes per entry and 8192 bytes in
/// all. Whatever is dropped is counted
/// ([`malformed_count`](super::malformed_count)).
///
/// ```
/// use std::collections::HashMap;
/// use tracekit_runtime::propagation::{Propagator, W3cBaggage};
/// use tracekit_runtime::SpanContext;
///
/// let incoming = vec![("baggage".to_owned(), r#"user=ada;note="hi there";vip, bad key=1"#.to_owned())];
/// let baggage = W3cBaggage.extract_baggage(&incoming);
/// let mut outgoing = HashMap::new();
/// W3cBaggage.inject(&SpanContext::from_baggage(baggage), &mut outgoing);
/// assert_eq!(outgoing["baggage"], "user=ada;vip");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct W3cBaggage;

/// Entries carried at most.
pub const MAX_ENTRIES: usize = 180;
/// Bytes of one encoded entry at most.
pub const MAX_ENTRY_BYTES: usize = 4096;
/// Bytes of the whole header at most.
pub const MAX_TOTAL_BYTES: usize = 8192;

pub(super) const BAGGAGE: &str = "baggage";

/// `baggage-octet`: printable ASCII but space, `"`, `,`, `;`, `\`.
fn is_baggage_octet(byte: u8) -> bool {
    matches!(byte, 0x21 | 0x23..=0x2b | 0x2d..=0x3a | 0x3c..=0x5b | 0x5d..=0x7e)
}

/// What is written unencoded: `%` is encoded so decoding is unambiguous,
/// and `+` because several SDKs (OpenTelemetry Python and Java) read `+` as
/// a space.
fn written_raw(byte: u8) -> bool {
    is_baggage_octet(byte) && byte != b'%' && byte != b'+'
}

impl Propagator for W3cBaggage {
    fn inject(&self, context: &SpanContext, carrier: &mut dyn Injector) {
        let baggage = context.baggage();
        let mut entries: Vec<String> = Vec::new();
        let mut total = 0;
        for (key, value) in baggage.iter() {
            if !is_token(key) {
                malformed::<()>();
                continue;
            }
            let mut entry = format!("{key}={}", percent_encode(value, written_raw));
            if let Some(metadata) = baggage.metadata(key) {
                // Properties set in code are checked as incoming ones are:
                // a property the grammar does not allow is left out alone.
                let (properties, dropped) = grammatical_properties(metadata);
                count_malformed(dropped);
                if !properties.is_empty() {
                    entry.push(';');
                    entry.push_str(&properties);
                }
            }
            let separator = usize::from(!entries.is_empty());
            if entry.len() > MAX_ENTRY_BYTES
                || total + separator + entry.len() > MAX_TOTAL_BYTES
                || entries.len() == MAX_ENTRIES
            {
                malformed::<()>();
                continue;
            }
            total += separator + entry.len();
            entries.push(entry);
        }
        if !entries.is_empty() {
            carrier.set(BAGGAGE, entries.join(","));
        }
    }

    /// Baggage alone is no span context.
    fn extract(&self, _: &dyn Extractor) -> Option<SpanContext> {
        None
    }

    fn carries_ids(&self) -> bool {
        false
    }

    fn extract_baggage(&self, carrier: &dyn Extractor) -> Baggage {
        let mut entries = Vec::new();
        let (mut total, mut dropped) = (0, 0);
        // Length is judged entry by entry, as the limits say, and a byte
        // that is not allowed spoils only the member it is in.
        for entry in carrier.list_members(BAGGAGE) {
            let entry = ows(&entry);
            if entry.is_empty() {
                continue;
            }
            if entry.len() > MAX_ENTRY_BYTES {
                dropped += 1;
                continue;
            }
            total += entry.len();
            if entries.len() == MAX_ENTRIES || total > MAX_TOTAL_BYTES {
                // The rest is cut, counted once.
                dropped += 1;
                break;
            }
            match parse_entry(entry, &mut dropped) {
                Some(entry) => entries.push(entry),
                None => dropped += 1,
            }
        }
        count_malformed(dropped);
        if entries.is_empty() {
            // Most requests carry none: no map is built.
            return Baggage::new();
        }
        Baggage::from_entries(entries)
    }
}

/// `key = value *(; property)`, with optional whitespace around each part.
/// A property the grammar does not allow is dropped alone (added to
/// `dropped`); the member and its other properties are kept.
fn parse_entry(entry: &str, dropped: &mut usize) -> Option<(String, String, Option<String>)> {
    let (pair, metadata) = match entry.split_once(';') {
        Some((pair, properties)) => {
            let (properties, bad) = grammatical_properties(properties);
            *dropped += bad;
            (pair, Some(properties))
        }
        None => (entry, None),
    };
    let (key, value) = pair.split_once('=')?;
    let (key, value) = (ows(key), ows(value));
    if !is_token(key) || !value.bytes().all(|b| is_baggage_octet(b) || b == b'%') {
        return None;
    }
    // A `+` reads as a space, as the SDKs that write spaces that way mean it.
    Some((
        key.to_owned(),
        percent_decode(&value.replace('+', " "))?,
        metadata,
    ))
}

/// `text` without the optional whitespace (spaces and tabs) of the grammar.
fn ows(text: &str) -> &str {
    text.trim_matches([' ', '\t'])
}

/// The properties of `text` (`property *(; property)`) that W3C
/// baggage's grammar allows, each as `key` or `key=value` with the
/// whitespace around its parts removed, joined by `;`; and how many were
/// left out. A property is a token key, optionally with a value of
/// `baggage-octet`s: no quotes, spaces, backslashes, commas, controls or
/// non-ASCII, and no empty property between two `;`.
fn grammatical_properties(text: &str) -> (String, usize) {
    let mut kept = String::new();
    let mut dropped = 0;
    for property in text.split(';') {
        let (key, value) = match property.split_once('=') {
            Some((key, value)) => (ows(key), Some(ows(value))),
            None => (ows(property), None),
        };
        let allowed =
            is_token(key) && value.is_none_or(|value| value.bytes().all(is_baggage_octet));
        if !allowed {
            dropped += 1;
            continue;
        }
        if !kept.is_empty() {
            kept.push(';');
        }
        kept.push_str(key);
        if let Some(value) = value {
            kept.push('=');
            kept.push_str(value);
        }
    }
    (kept, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{SpanId, TraceId};
    use std::collections::HashMap;

    fn context_with(items: &[(&str, &str)]) -> SpanContext {
        let baggage: Baggage = items.iter().copied().collect();
        SpanContext::new(TraceId::from_u128(1), SpanId::new(1).unwrap(), true).with_baggage(baggage)
    }

    fn extract(header: &str) -> Baggage {
        W3cBaggage.extract_baggage(&vec![("baggage".to_owned(), header.to_owned())])
    }

    #[test]
    fn the_specification_examples_parse() {
        let baggage = extract(
            "key1=value1;property1;property2, key2 = value2, key3=value3; propertyKey=propertyValue",
        );
        assert_eq!(baggage.get("key1"), Some("value1"));
        assert_eq!(baggage.metadata("key1"), Some("property1;property2"));
        assert_eq!(baggage.get("key2"), Some("value2"));
        assert_eq!(baggage.metadata("key3"), Some("propertyKey=propertyValue"));
        assert_eq!(
            extract("userId=alice,serverNode=DF%2028,isProduction=false").get("serverNode"),
            Some("DF 28")
        );
    }

    #[test]
    fn values_are_percent_encoded_on_inject_and_decoded_on_extract() {
        let context = context_with(&[("user", "Ada Lovelace, née Byron; 100% + 1")]);
        let mut headers = HashMap::new();
        W3cBaggage.inject(&context, &mut headers);
        assert_eq!(
            headers["baggage"],
            "user=Ada%20Lovelace%2C%20n%C3%A9e%20Byron%3B%20100%25%20%2B%201"
        );
        assert_eq!(
            W3cBaggage.extract_baggage(&headers).get("user"),
            Some("Ada Lovelace, née Byron; 100% + 1")
        );
        assert_eq!(
            extract("k=a+b").get("k"),
            Some("a b"),
            "+ as written for a space"
        );
    }

    #[test]
    fn properties_outside_the_grammar_are_dropped_alone() {
        let before = super::super::malformed_count();
        let baggage = extract("user=ada;note=\"hi there\";;x\\y, b=2 ; p ; q = 1;🙂;r=\u{85}");
        assert_eq!(baggage.get("user"), Some("ada"));
        assert_eq!(baggage.metadata("user"), None, "every property was bad");
        assert_eq!(baggage.get("b"), Some("2"));
        assert_eq!(baggage.metadata("b"), Some("p;q=1"));
        assert!(super::super::malformed_count() >= before + 5);

        let mut headers = HashMap::new();
        W3cBaggage.inject(&SpanContext::from_baggage(baggage), &mut headers);
        assert_eq!(headers["baggage"], "b=2;p;q=1,user=ada");
    }

    #[test]
    fn properties_set_in_code_are_checked_on_inject() {
        let baggage = Baggage::new()
            .with_metadata("a", "1", Some("ok;bad value;n\u{202e}=1;k=v".to_owned()))
            .with_metadata("b", "2", Some("\r\n".to_owned()));
        let mut headers = HashMap::new();
        W3cBaggage.inject(&SpanContext::from_baggage(baggage.clone()), &mut headers);
        assert_eq!(headers["baggage"], "a=1;ok;k=v,b=2");
        let mut map = http::HeaderMap::new();
        W3cBaggage.inject(&SpanContext::from_baggage(baggage), &mut map);
        assert_eq!(map["baggage"], "a=1;ok;k=v,b=2");
    }

    #[test]
    fn malformed_entries_are_dropped_and_the_rest_kept() {
        let baggage = extract("good=1,no_equals,bad key=2,=empty,k=%zz,fine=2");
        assert_eq!(
            baggage.iter().collect::<Vec<_>>(),
            [("fine", "2"), ("good", "1")]
        );
    }

    #[test]
    fn limits_hold_on_inject_and_extract() {
        let many: Vec<(String, String)> = (0..200)
            .map(|i| (format!("k{i:03}"), "v".to_owned()))
            .collect();
        let context = context_with(
            &many
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect::<Vec<_>>(),
        );
        let mut headers = HashMap::new();
        W3cBaggage.inject(&context, &mut headers);
        assert_eq!(headers["baggage"].split(',').count(), MAX_ENTRIES);

        let header: Vec<String> = (0..200).map(|i| format!("k{i}=v")).collect();
        assert_eq!(extract(&header.join(",")).len(), MAX_ENTRIES);

        let huge = "x".repeat(MAX_ENTRY_BYTES);
        assert_eq!(
            extract(&format!("big={huge},small=1"))
                .iter()
                .collect::<Vec<_>>(),
            [("small", "1")]
        );
        let context = context_with(&[("big", huge.as_str()), ("small", "1")]);
        let mut headers = HashMap::new();
        W3cBaggage.inject(&context, &mut headers);
        assert_eq!(headers["baggage"], "small=1");

        let half = "y".repeat(3000);
        let three: Vec<String> = (0..3).map(|i| format!("h{i}={half}")).collect();
        assert_eq!(extract(&three.join(",")).len(), 2, "8192 bytes in all");
    }
}
