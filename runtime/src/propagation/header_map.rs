//! `http::HeaderMap` as a carrier (feature `http`): what every Rust HTTP
//! stack hands around. Names are parsed once for the default formats, and
//! a value's bytes move into the header rather than being copied.

use std::borrow::Cow;

use super::carrier::{Extractor, Injector};

impl Injector for http::HeaderMap {
    fn set(&mut self, key: &str, value: String) {
        // Propagators only write valid names and values; anything else is
        // skipped rather than sent half-formed, and so is a header past the
        // map's limit (`insert` would panic there). `from_bytes` lowers
        // the case of a name itself.
        // The value's bytes move into the header rather than being copied.
        let written = match (header_name(key), http::header::HeaderValue::try_from(value)) {
            (Ok(name), Ok(value)) => self.try_insert(name, value).is_ok(),
            _ => false,
        };
        if !written {
            super::malformed::<()>();
        }
    }
}

impl Extractor for http::HeaderMap {
    fn get_all(&self, key: &str) -> Vec<&str> {
        text_values(self, key).collect()
    }

    fn first_value(&self, key: &str) -> (Option<&str>, bool) {
        let mut values = text_values(self, key);
        let first = values.next();
        (first, first.is_some_and(|first| values.any(|v| v != first)))
    }

    fn keys(&self) -> Vec<&str> {
        self.keys().map(|k| k.as_str()).collect()
    }

    fn list_members(&self, key: &str) -> Vec<Cow<'_, str>> {
        // A header may carry bytes past ASCII (obs-text), which `to_str`
        // refuses for the whole value: split the bytes instead.
        all_values(self, key)
            .flat_map(|value| value.as_bytes().split(|b| *b == b','))
            .map(String::from_utf8_lossy)
            .collect()
    }

    fn pairs(&self) -> Vec<(&str, &str)> {
        self.iter()
            .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
            .collect()
    }
}

/// The header named `key`.
fn header_name(key: &str) -> Result<http::header::HeaderName, http::header::InvalidHeaderName> {
    known_header(key).map_or_else(|| http::header::HeaderName::from_bytes(key.as_bytes()), Ok)
}

/// The header of a name the default formats use, parsed once: a header
/// named by a `&str` is parsed again at every use.
fn known_header(key: &str) -> Option<http::header::HeaderName> {
    use crate::propagation::baggage::BAGGAGE;
    use crate::propagation::tracecontext::{TRACEPARENT, TRACESTATE};
    use http::header::HeaderName;
    Some(match key {
        TRACEPARENT => const { HeaderName::from_static(TRACEPARENT) },
        TRACESTATE => const { HeaderName::from_static(TRACESTATE) },
        BAGGAGE => const { HeaderName::from_static(BAGGAGE) },
        _ => return None,
    })
}

/// The values of `key` that are text: one that is not visible ASCII is
/// not a valid propagation value.
fn text_values<'a>(headers: &'a http::HeaderMap, key: &str) -> impl Iterator<Item = &'a str> {
    all_values(headers, key).filter_map(|v| v.to_str().ok())
}

/// Every value of `key`, as bytes.
fn all_values<'a>(
    headers: &'a http::HeaderMap,
    key: &str,
) -> impl Iterator<Item = &'a http::HeaderValue> {
    let values = match known_header(key) {
        Some(name) => headers.get_all(name),
        None => headers.get_all(key),
    };
    values.into_iter()
}
