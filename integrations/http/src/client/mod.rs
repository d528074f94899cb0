//! The client side: a `client` span for every outgoing request, its
//! context injected into the request's headers, so that the server
//! continues the trace.
//!
//! Two front ends share what is recorded: [`ClientLayer`] for tower
//! services (hyper-util's client) and, with the `reqwest` feature,
//! `TracingMiddleware` for reqwest.

#[cfg(feature = "reqwest")]
mod reqwest;
#[cfg(feature = "client")]
mod tower;

#[cfg(feature = "reqwest")]
pub use self::reqwest::TracingMiddleware;
#[cfg(feature = "client")]
pub use self::tower::{ClientFuture, ClientLayer, ClientService};

use std::fmt::Display;

use http::{HeaderMap, Method, StatusCode, Uri};
use tracekit_runtime::{Context, Span, SpanKind, SpanRef, Tracer};

use crate::headers::RecordedHeaders;
use crate::semconv;

/// What the client side records, shared by the layer and the middleware.
#[derive(Clone, Debug, Default)]
pub(crate) struct ClientConfig {
    pub(crate) tracer: Option<Tracer>,
    pub(crate) root_spans: bool,
    pub(crate) record_query: bool,
    pub(crate) request_headers: RecordedHeaders,
    pub(crate) response_headers: RecordedHeaders,
}

impl ClientConfig {
    /// Starts the span of a request and writes its context into
    /// `headers`; `None` (and the headers untouched) when nothing is
    /// active and root client spans were not asked for, or when tracing is
    /// off. `resend_count`: how many times this request was sent before.
    pub(crate) fn start(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &mut HeaderMap,
        resend_count: u32,
    ) -> Option<Span> {
        let tracer = self
            .tracer
            .as_ref()
            .unwrap_or_else(|| tracekit_runtime::global());
        if !tracer.is_enabled() {
            return None;
        }
        if !self.root_spans && Context::current().span_context().is_none() {
            return None;
        }
        let mut span = tracer
            .span(semconv::method_name(method))
            .kind(SpanKind::Client)
            .tag("http.request.method", semconv::method_tag(method))
            .tag("url.full", full_url(uri, self.record_query));
        if let Some(host) = uri.host() {
            span = span.tag("server.address", semconv::text(semconv::unbracketed(host)));
        }
        if let Some(port) = uri
            .port_u16()
            .or_else(|| semconv::default_port(uri.scheme_str()?))
        {
            span = span.tag("server.port", i64::from(port));
        }
        if resend_count > 0 {
            span = span.tag("http.request.resend_count", i64::from(resend_count));
        }
        let span = span.start();
        self.request_headers
            .record("http.request.header", headers, &span);
        tracer.inject(&span.context(), headers);
        Some(span)
    }

    /// Records the response's status and headers.
    pub(crate) fn answered(&self, span: &SpanRef, status: StatusCode, headers: &HeaderMap) {
        span.set_tag("http.response.status_code", i64::from(status.as_u16()));
        if let Some(error) = semconv::status_error(status, true) {
            span.set_tag("error", true);
            span.set_tag("error.type", error);
        }
        self.response_headers
            .record("http.response.header", headers, span);
    }

    /// Records a request that got no response.
    pub(crate) fn failed(&self, span: &SpanRef, kind: &str, error: &dyn Display) {
        span.record_error(kind, &error.to_string());
    }
}

/// `url.full`: the URL without credentials, and without its query unless
/// asked (a query often carries tokens).
fn full_url(uri: &Uri, with_query: bool) -> String {
    let mut url = String::new();
    if let Some(scheme) = uri.scheme_str() {
        url.push_str(scheme);
        url.push_str("://");
    }
    if let Some(host) = uri.host() {
        url.push_str(host);
        if let Some(port) = uri.port_u16() {
            url.push(':');
            url.push_str(&port.to_string());
        }
    }
    url.push_str(uri.path());
    if with_query && let Some(query) = uri.query() {
        url.push('?');
        url.push_str(query);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_full_url_loses_credentials_and_by_default_the_query() {
        let uri: Uri = "https://user:secret@api.example:8443/cart/7?token=abc"
            .parse()
            .unwrap();
        assert_eq!(full_url(&uri, false), "https://api.example:8443/cart/7");
        assert_eq!(
            full_url(&uri, true),
            "https://api.example:8443/cart/7?token=abc"
        );
        let plain: Uri = "http://[::1]/".parse().unwrap();
        assert_eq!(full_url(&plain, false), "http://[::1]/");
    }
}
