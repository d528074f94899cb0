//! The value scrubber ([`TracerBuilder::scrub_values`]): on the exporter
//! thread, before any exporter sees a batch, it replaces what looks like a
//! credential or a person's data in string tags and log fields with
//! `[redacted]`: bearer and basic tokens, card numbers (13 to 19 digits,
//! spaces or dashes between them, that pass the Luhn check) and e-mail
//! addresses. The calling threads pay nothing for it.
//!
//! [`TracerBuilder::scrub_values`]: crate::TracerBuilder::scrub_values

use std::ops::Range;

use crate::record::SpanRecord;
use crate::secret::REDACTED;
use crate::tag::TagValue;
use crate::text::Text;

/// Scrubs the string values of `record`'s tags and log fields.
pub(crate) fn record(record: &mut SpanRecord) {
    for (_, value) in &mut record.tags {
        value_in_place(value);
    }
    for log in &mut record.logs {
        for (_, value) in &mut log.fields {
            value_in_place(value);
        }
    }
}

fn value_in_place(value: &mut TagValue) {
    if let TagValue::Str(text) = value
        && let Some(clean) = scrubbed(text)
    {
        *text = Text::from(clean);
    }
}

/// `text` with what looks secret replaced, or `None` when nothing does.
pub(crate) fn scrubbed(text: &str) -> Option<String> {
    let mut found: Vec<Range<usize>> = Vec::new();
    tokens(text, &mut found);
    card_numbers(text, &mut found);
    emails(text, &mut found);
    if found.is_empty() {
        return None;
    }
    found.sort_by_key(|range| range.start);
    let mut clean = String::with_capacity(text.len());
    let mut at = 0;
    for range in found {
        if range.start < at {
            // Overlaps one already replaced: extend it.
            at = at.max(range.end);
            continue;
        }
        clean.push_str(&text[at..range.start]);
        clean.push_str(REDACTED);
        at = range.end;
    }
    clean.push_str(&text[at..]);
    Some(clean)
}

/// The token after `Bearer ` or `Basic ` (any case).
fn tokens(text: &str, found: &mut Vec<Range<usize>>) {
    let bytes = text.as_bytes();
    for scheme in ["bearer ", "basic "] {
        let mut from = 0;
        while let Some(at) = find_ignoring_case(&bytes[from..], scheme.as_bytes()) {
            let start = from + at + scheme.len();
            let end = start
                + bytes[start..]
                    .iter()
                    .take_while(|&&b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b))
                    .count();
            if end > start {
                found.push(start..end);
            }
            from = end.max(start);
        }
    }
}

fn find_ignoring_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window.eq_ignore_ascii_case(needle))
}

/// Runs of 13 to 19 digits, single spaces or dashes between them, that
/// pass the Luhn check.
fn card_numbers(text: &str, found: &mut Vec<Range<usize>>) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() || (i > 0 && bytes[i - 1].is_ascii_digit()) {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = Vec::new();
        let mut end = i;
        let mut j = i;
        while j < bytes.len() {
            match bytes[j] {
                b'0'..=b'9' => {
                    digits.push(bytes[j] - b'0');
                    j += 1;
                    end = j;
                }
                b' ' | b'-' if j + 1 < bytes.len() && bytes[j + 1].is_ascii_digit() => j += 1,
                _ => break,
            }
        }
        if (13..=19).contains(&digits.len()) && luhn(&digits) {
            found.push(start..end);
        }
        i = end.max(i + 1);
    }
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

/// `local@domain.tld`.
fn emails(text: &str, found: &mut Vec<Range<usize>>) {
    let bytes = text.as_bytes();
    let local = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b);
    let domain = |b: u8| b.is_ascii_alphanumeric() || b == b'.' || b == b'-';
    for (at, _) in text.match_indices('@') {
        let start = at - bytes[..at].iter().rev().take_while(|&&b| local(b)).count();
        let mut end = at + 1 + bytes[at + 1..].iter().take_while(|&&b| domain(b)).count();
        // A sentence's full stop is not part of the address.
        while end > at + 1 && bytes[end - 1] == b'.' {
            end -= 1;
        }
        let host = &text[at + 1..end];
        let has_tld = host.rsplit_once('.').is_some_and(|(name, tld)| {
            !name.is_empty() && tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic())
        });
        if start < at && has_tld {
            found.push(start..end);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::scrubbed;

    #[test]
    fn tokens_cards_and_addresses_are_replaced_and_the_rest_kept() {
        let cases = [
            (
                "Authorization: Bearer abc.DEF-123_x=",
                Some("Authorization: Bearer [redacted]"),
            ),
            (
                "basic dXNlcjpwYXNz and more",
                Some("basic [redacted] and more"),
            ),
            ("card 4242 4242 4242 4242 ok", Some("card [redacted] ok")),
            ("card 4242-4242-4242-4242", Some("card [redacted]")),
            ("mail ada@example.org.", Some("mail [redacted].")),
            ("a@b.c@d.io", Some("a@[redacted]")),
            ("order 1234567890123 (not Luhn)", None),
            ("user@localhost", None),
            ("plain text, 42 items", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(scrubbed(text).as_deref(), expected, "{text}");
        }
    }

    #[test]
    fn any_text_is_scrubbed_without_a_panic() {
        for text in [
            "@",
            "@@.",
            "x@",
            "@x.io",
            "Bearer ",
            "é@é.éé",
            "1-",
            "4242 4242 4242 4242-",
        ] {
            let _ = scrubbed(text);
        }
    }
}
