//! Headers recorded as tags (`http.request.header.<name>`,
//! `http.response.header.<name>`), chosen by name; the ones that carry
//! credentials never are.

use http::HeaderMap;
use http::header::HeaderName;
use tracekit_runtime::SpanRef;

/// Headers that carry credentials: never recorded, whatever is asked.
const SECRET: [&str; 4] = [
    "authorization",
    "cookie",
    "set-cookie",
    "proxy-authorization",
];

/// The headers chosen to be recorded, on one side (request or response).
#[derive(Clone, Debug, Default)]
pub(crate) struct RecordedHeaders {
    names: Vec<HeaderName>,
}

impl RecordedHeaders {
    /// Adds `name` (any case), unless it is a credential header or not a
    /// valid header name; returns whether it will be recorded.
    pub(crate) fn add(&mut self, name: &str) -> bool {
        let Ok(name) = HeaderName::from_bytes(name.trim().as_bytes()) else {
            return false;
        };
        if SECRET.contains(&name.as_str()) {
            return false;
        }
        if !self.names.contains(&name) {
            self.names.push(name);
        }
        true
    }

    /// Whether no header is chosen.
    pub(crate) fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Tags `span` with each chosen header `headers` has, as
    /// `{prefix}.{name}`; several values of one header are joined with
    /// `", "`, values that are not text are left out.
    pub(crate) fn record(&self, prefix: &str, headers: &HeaderMap, span: &SpanRef) {
        for name in &self.names {
            let values: Vec<&str> = headers
                .get_all(name)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .collect();
            if !values.is_empty() {
                span.set_tag(format!("{prefix}.{name}"), values.join(", "));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_headers_are_refused_in_any_case() {
        let mut recorded = RecordedHeaders::default();
        for secret in [
            "Authorization",
            "COOKIE",
            "set-cookie",
            "Proxy-Authorization",
        ] {
            assert!(!recorded.add(secret), "{secret}");
        }
        assert!(!recorded.add("bad header"));
        assert!(recorded.add("X-Request-Id"));
        assert_eq!(recorded.names, [HeaderName::from_static("x-request-id")]);
    }
}
