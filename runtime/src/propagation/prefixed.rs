//! Baggage carried one item per key, under a prefix: `uberctx-{key}`
//! (Jaeger) and `ot-baggage-{key}` (OpenTracing). Both directions keep the
//! W3C baggage limits (items and bytes), take time linear in the carrier's
//! size, and write or accept only keys that are HTTP tokens and values
//! without control characters; whatever falls outside is dropped and
//! counted.

use super::baggage::{MAX_ENTRIES, MAX_TOTAL_BYTES};
use super::{Extractor, Injector, MAX_VALUE_LEN, clean, count_malformed, is_token, malformed};
use crate::identity::Baggage;

/// The items under `prefix` (matched in any case; keys come out in lower
/// case), each value read by `decode`. Items that are malformed or given
/// twice with different values are dropped and counted; past the limits
/// the rest is cut, counted once.
pub(crate) fn extract(
    carrier: &dyn Extractor,
    prefix: &str,
    decode: impl Fn(&str) -> Option<String>,
) -> Baggage {
    let mut items: Vec<(String, String)> = Vec::new();
    let (mut bytes, mut dropped) = (0, 0);
    for (key, value) in carrier.pairs() {
        let Some(name) = strip_prefix_any_case(key, prefix) else {
            continue;
        };
        if items.len() == MAX_ENTRIES || bytes + name.len() > MAX_TOTAL_BYTES {
            // The rest is cut, counted once.
            dropped += 1;
            break;
        }
        if !is_token(name) || !clean(value) {
            dropped += 1;
            continue;
        }
        let Some(value) = decode(value) else {
            dropped += 1;
            continue;
        };
        if bytes + name.len() + value.len() > MAX_TOTAL_BYTES {
            dropped += 1;
            continue;
        }
        bytes += name.len() + value.len();
        items.push((name.to_ascii_lowercase(), value));
    }
    // The same key twice with different values: neither is trusted.
    items.sort_unstable();
    items.dedup();
    let mut kept: Vec<(String, String, Option<String>)> = Vec::with_capacity(items.len());
    let mut items = items.into_iter().peekable();
    while let Some((key, value)) = items.next() {
        let mut conflict = false;
        while items.peek().is_some_and(|(next, _)| *next == key) {
            items.next();
            conflict = true;
        }
        if conflict {
            dropped += 2;
        } else {
            kept.push((key, value, None));
        }
    }
    count_malformed(dropped);
    Baggage::from_entries(kept)
}

/// Writes each item of `baggage` as `{prefix}{key}`, its value written by
/// `encode` (`None`: it cannot travel in this format). Keys that are not
/// HTTP tokens, values that cannot travel and items past the limits are
/// left out and counted.
pub(crate) fn inject(
    baggage: &Baggage,
    carrier: &mut dyn Injector,
    prefix: &str,
    encode: impl Fn(&str) -> Option<String>,
) {
    let (mut written, mut bytes) = (0, 0);
    for (key, value) in baggage.iter() {
        let value = encode(value).filter(|v| v.len() <= MAX_VALUE_LEN && clean(v));
        let Some(value) = value.filter(|_| is_token(key)) else {
            malformed::<()>();
            continue;
        };
        if written == MAX_ENTRIES || bytes + key.len() + value.len() > MAX_TOTAL_BYTES {
            malformed::<()>();
            continue;
        }
        written += 1;
        bytes += key.len() + value.len();
        carrier.set(&format!("{prefix}{key}"), value);
    }
}

/// `key` without `prefix`, compared without regard to ASCII case; `None`
/// when it does not start with it (or is nothing but it). Never slices
/// inside a character.
fn strip_prefix_any_case<'a>(key: &'a str, prefix: &str) -> Option<&'a str> {
    let head = key.get(..prefix.len())?;
    let name = key.get(prefix.len()..)?;
    (head.eq_ignore_ascii_case(prefix) && !name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn identity(value: &str) -> Option<String> {
        Some(value.to_owned())
    }

    #[test]
    fn keys_with_other_characters_or_non_ascii_are_dropped_not_sliced() {
        let carrier = pairs(&[
            ("ot-baggage-ok", "1"),
            ("ot-baggage-x\r\nx-injected: 1", "2"),
            ("ot-baggageé-a", "3"),
            ("ötbaggage-bcd", "4"),
            ("ot-baggage-", "5"),
        ]);
        let baggage = extract(&carrier, "ot-baggage-", identity);
        assert_eq!(baggage.iter().collect::<Vec<_>>(), [("ok", "1")]);
    }

    #[test]
    fn conflicting_values_of_one_key_are_both_dropped_equal_ones_kept() {
        let carrier = pairs(&[
            ("uberctx-a", "1"),
            ("UBERCTX-A", "2"),
            ("uberctx-b", "3"),
            ("Uberctx-B", "3"),
        ]);
        let baggage = extract(&carrier, "uberctx-", identity);
        assert_eq!(baggage.iter().collect::<Vec<_>>(), [("b", "3")]);
    }

    #[test]
    fn items_past_the_limits_are_cut_both_ways() {
        let many: Vec<(String, String)> = (0..1000)
            .map(|i| (format!("uberctx-k{i:04}"), "v".to_owned()))
            .collect();
        assert_eq!(extract(&many, "uberctx-", identity).len(), MAX_ENTRIES);
        let big = "x".repeat(5000);
        let two_big = pairs(&[("uberctx-a", &big), ("uberctx-b", &big)]);
        assert_eq!(extract(&two_big, "uberctx-", identity).len(), 1);

        let baggage: Baggage = (0..1000).map(|i| (format!("k{i:04}"), "v")).collect();
        let mut out = HashMap::new();
        inject(&baggage, &mut out, "uberctx-", identity);
        assert_eq!(out.len(), MAX_ENTRIES);
        let baggage = Baggage::new()
            .with("bad key", "1")
            .with("line", "a\r\nb")
            .with("good", "2");
        let mut out = HashMap::new();
        inject(&baggage, &mut out, "ot-baggage-", identity);
        assert_eq!(out.keys().collect::<Vec<_>>(), ["ot-baggage-good"]);
    }
}
