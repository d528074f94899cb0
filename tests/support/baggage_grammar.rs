//! W3C baggage's grammar, checked strictly, and a way to write a value so
//! it travels: shared by the tests that check what tracekit writes back
//! out after reading hostile baggage (included by path, so the HTTP
//! crate's tests use the same check).
#![allow(dead_code)]

/// Whether `header` is a `baggage-string` of the W3C grammar: members
/// separated by commas with optional whitespace, each `key=value`
/// followed by properties `;key` or `;key=value`, keys tokens and values
/// made of `baggage-octet`s. No empty member, no empty property.
pub fn is_grammatical(header: &str) -> bool {
    header.split(',').all(|member| {
        let mut parts = member.split(';');
        let first = parts.next().unwrap_or_default();
        let pair_ok = match first.split_once('=') {
            Some((key, value)) => is_token(ows(key)) && is_value(ows(value)),
            None => false,
        };
        pair_ok
            && parts.all(|property| match property.split_once('=') {
                Some((key, value)) => is_token(ows(key)) && is_value(ows(value)),
                None => is_token(ows(property)),
            })
    })
}

fn ows(text: &str) -> &str {
    text.trim_matches([' ', '\t'])
}

fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn is_value(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, 0x21 | 0x23..=0x2b | 0x2d..=0x3a | 0x3c..=0x5b | 0x5d..=0x7e))
}

/// `text` with every byte but ASCII letters and digits percent-encoded:
/// a baggage value any W3C reader decodes back to `text`.
pub fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
