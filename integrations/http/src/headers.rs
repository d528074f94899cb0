//! Headers recorded as tags (`http.request.header.<name>`,
//! `http.response.header.<name>`), chosen by name; a header under a secret
//! name (the runtime's [`redaction`] policy: `authorization`, `cookie`,
//! `set-cookie`, `x-api-key`, and the names a tracer adds) is recorded as
//! `[redacted]`.

use http::HeaderMap;
use http::header::HeaderName;
use tracekit_runtime::redaction::SecretNames;
use tracekit_runtime::{REDACTED, SpanRef};

#[cfg(doc)]
use tracekit_runtime::redaction;

/// The headers chosen to be recorded, on one side (request or response).
#[derive(Clone, Debug, Default)]
pub(crate) struct RecordedHeaders {
    names: Vec<HeaderName>,
    /// Which of `names` are secret, decided once per change of the policy.
    secret: SecretNames,
}

impl RecordedHeaders {
    /// Adds `name` (any case), unless it is not a valid header name;
    /// returns whether it will be recorded.
    pub(crate) fn add(&mut self, name: &str) -> bool {
        let Ok(name) = HeaderName::from_bytes(name.trim().as_bytes()) else {
            return false;
        };
        if !self.names.contains(&name) {
            self.names.push(name);
            self.secret = SecretNames::new();
        }
        true
    }

    /// Whether no header is chosen.
    pub(crate) fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Tags `span` with each chosen header `headers` has, as
    /// `{prefix}.{name}`; several values of one header are joined with
    /// `", "`, values that are not text are left out; a secret one is
    /// `[redacted]`.
    pub(crate) fn record(&self, prefix: &str, headers: &HeaderMap, span: &SpanRef) {
        for (index, name) in self.names.iter().enumerate() {
            let values: Vec<&str> = headers
                .get_all(name)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .collect();
            if values.is_empty() {
                continue;
            }
            let key = format!("{prefix}.{name}");
            if self.secret.is_secret(&self.names, index) {
                span.set_tag(key, REDACTED);
            } else {
                span.set_tag(key, values.join(", "));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_headers_are_secret_in_any_case_and_invalid_names_refused() {
        let mut recorded = RecordedHeaders::default();
        for name in [
            "Authorization",
            "COOKIE",
            "set-cookie",
            "Proxy-Authorization",
            "X-Request-Id",
        ] {
            assert!(recorded.add(name), "{name}");
        }
        assert!(!recorded.add("bad header"));
        let secret: Vec<bool> = (0..recorded.names.len())
            .map(|index| recorded.secret.is_secret(&recorded.names, index))
            .collect();
        assert_eq!(secret, [true, true, true, true, false]);
    }
}
