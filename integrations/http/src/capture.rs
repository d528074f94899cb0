//! Body capture, the Python original's wrapped `receive`: the first bytes
//! of a textual body, copied as the body streams past (never buffered,
//! never delayed), redacted, recorded when the body ends.

use std::sync::{Arc, Mutex};

use http::HeaderMap;
use http::header::CONTENT_TYPE;
use tracekit_runtime::{CarriedSpan, SpanRef};

/// Rewrites captured text before it is recorded: to hide secrets.
pub type Redact = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// How bodies are captured: at most `limit` bytes of each, for textual
/// content types only.
#[derive(Clone)]
pub struct BodyCapture {
    pub(crate) limit: usize,
    pub(crate) redact: Option<Redact>,
}

impl BodyCapture {
    /// Captures up to `limit` bytes of each textual body.
    ///
    /// ```
    /// use tracekit_http::BodyCapture;
    ///
    /// let capture = BodyCapture::up_to(1024)
    ///     .redact(|text| text.replace("hunter2", "[redacted]"));
    /// # drop(capture);
    /// ```
    pub fn up_to(limit: usize) -> BodyCapture {
        BodyCapture {
            limit,
            redact: None,
        }
    }

    /// Passes the captured text through `redact` before it is recorded.
    /// It sees the captured bytes only, after the limit: a secret the limit
    /// cuts in two shows its first part to a redaction that looks for the
    /// whole secret, so match what precedes secrets (a field's name) rather
    /// than the secrets themselves where that can happen.
    pub fn redact(mut self, redact: impl Fn(&str) -> String + Send + Sync + 'static) -> Self {
        self.redact = Some(Arc::new(redact));
        self
    }

    /// A capture for a body with these headers, if its content type is
    /// textual.
    pub(crate) fn start(&self, headers: &HeaderMap) -> Option<Captured> {
        let content_type = headers.get(CONTENT_TYPE)?.to_str().ok()?;
        is_textual(content_type).then(|| Captured {
            bytes: Vec::with_capacity(self.limit.min(4096)),
            seen: 0,
            capture: self.clone(),
        })
    }
}

impl std::fmt::Debug for BodyCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyCapture")
            .field("limit", &self.limit)
            .field("redact", &self.redact.is_some())
            .finish()
    }
}

/// Whether a content type is text: `text/*`, JSON, XML, forms,
/// JavaScript, with any parameters.
fn is_textual(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind == "text"
        || (kind == "application"
            && (matches!(
                subtype,
                "json" | "xml" | "x-www-form-urlencoded" | "javascript" | "graphql" | "x-ndjson"
            ) || subtype.ends_with("+json")
                || subtype.ends_with("+xml")))
}

/// The first bytes of one body so far.
pub(crate) struct Captured {
    bytes: Vec<u8>,
    /// Bytes that went past, captured or not.
    seen: usize,
    capture: BodyCapture,
}

impl Captured {
    /// Copies what fits of a chunk going past.
    pub(crate) fn copy(&mut self, chunk: &[u8]) {
        self.seen = self.seen.saturating_add(chunk.len());
        let room = self.capture.limit.saturating_sub(self.bytes.len());
        self.bytes
            .extend_from_slice(&chunk[..chunk.len().min(room)]);
    }

    /// Tags `span` with the captured text as `{key}` (cut at a character
    /// boundary, redacted) and `{key}.truncated = true` when the body was
    /// longer than the limit.
    pub(crate) fn record(self, key: &str, span: &SpanRef) {
        if self.seen == 0 {
            // Nothing went past (a handler that did not read the body).
            return;
        }
        let text = String::from_utf8_lossy(&self.bytes);
        // The limit may have cut a character in two: leave its remains out.
        let text = text.trim_end_matches(char::REPLACEMENT_CHARACTER);
        let text = match &self.capture.redact {
            Some(redact) => {
                // A redaction that fails records nothing rather than the
                // text it was to clean.
                let mut cleaned = None;
                crate::guard::run_hook(span, "redact", || cleaned = Some(redact(text)));
                match cleaned {
                    Some(cleaned) => cleaned,
                    None => return,
                }
            }
            None => text.to_owned(),
        };
        span.set_tag(key.to_owned(), text);
        if self.seen > self.bytes.len() {
            span.set_tag(format!("{key}.truncated"), true);
        }
    }
}

/// Where a request body leaves its capture when it ends: the request's
/// span travels with the response, out of the body's reach, and records
/// the capture when it finishes.
#[derive(Clone, Default)]
pub(crate) struct Slot(Arc<Mutex<Option<Captured>>>);

impl Slot {
    /// Leaves `captured` for the span.
    pub(crate) fn leave(&self, captured: Captured) {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(captured);
    }

    /// Records what was left, if anything, on `span` as `{key}`.
    pub(crate) fn record(&self, key: &str, span: &mut CarriedSpan) {
        let left = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(captured) = left {
            span.with_ref(|span| captured.record(key, span));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textual_types_are_recognised_with_their_parameters() {
        for textual in [
            "text/plain",
            "text/html; charset=utf-8",
            "application/json",
            "Application/JSON",
            "application/problem+json",
            "application/atom+xml",
            "application/x-www-form-urlencoded",
        ] {
            assert!(is_textual(textual), "{textual}");
        }
        for binary in [
            "image/png",
            "application/octet-stream",
            "application/grpc",
            "json",
            "",
        ] {
            assert!(!is_textual(binary), "{binary}");
        }
    }

    #[test]
    fn only_the_first_bytes_are_kept_and_the_rest_counted() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, "text/plain".parse().unwrap());
        let mut captured = BodyCapture::up_to(5).start(&headers).unwrap();
        captured.copy(b"hel");
        captured.copy(b"lo world");
        assert_eq!(captured.bytes, b"hello");
        assert_eq!(captured.seen, 11);
        headers.insert(CONTENT_TYPE, "image/png".parse().unwrap());
        assert!(BodyCapture::up_to(5).start(&headers).is_none());
    }
}
