//! What the server layer records, set once on the layer and shared by
//! every request: the options, the hooks, and the body captures. The
//! span's name and tags are made in `tags.rs`; the layer and its builder
//! are in `layer.rs`.

use std::sync::Arc;

use http::request::Parts;
use http::{HeaderMap, StatusCode};
use tracekit_runtime::{SpanRef, Tracer};

use super::body_mode::Capture;
use crate::capture::{BodyCapture, Captured, Slot};
use crate::headers::RecordedHeaders;

/// Called with each request's head and its span before the handler runs:
/// for the user's own tags (the original's `before_call`). The `SpanRef`
/// works while the hook runs; in the handler, reach the span with
/// `with_active_span`.
pub type RequestHook = Arc<dyn Fn(&Parts, &SpanRef) + Send + Sync>;

/// Called with each response's status, headers and span when the handler
/// has answered (the original's `after_call`). The `SpanRef` works while
/// the hook runs.
pub type ResponseHook = Arc<dyn Fn(StatusCode, &HeaderMap, &SpanRef) + Send + Sync>;

#[derive(Clone, Default)]
pub(crate) struct Config {
    pub(super) tracer: Option<Tracer>,
    pub(super) record_query: bool,
    pub(super) request_headers: RecordedHeaders,
    pub(super) response_headers: RecordedHeaders,
    pub(super) request_body: Option<BodyCapture>,
    pub(super) response_body: Option<BodyCapture>,
    pub(super) on_request: Option<RequestHook>,
    pub(super) on_response: Option<ResponseHook>,
}

impl Config {
    /// The capture of the request body whose head is `parts`, if asked for
    /// and textual, and the slot it is left in when the body ends.
    pub(crate) fn request_capture(&self, parts: &Parts) -> Option<(Capture, Slot)> {
        let captured = self.request_body.as_ref()?.start(&parts.headers)?;
        let slot = Slot::default();
        Some((Capture(captured, slot.clone()), slot))
    }

    /// The capture of a response body with these headers, if asked for
    /// and textual.
    pub(crate) fn response_capture(&self, headers: &HeaderMap) -> Option<Captured> {
        self.response_body.as_ref()?.start(headers)
    }
}
