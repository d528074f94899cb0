//! The client side: a `client` span for every outgoing request, its
//! context injected into the request's headers, so that the server
//! continues the trace.
//!
//! Two front ends share what is recorded: [`ClientLayer`] for tower
//! services (hyper-util's client) and, with the `reqwest` feature,
//! `TracingMiddleware` for reqwest.

/// The options both client front ends take, written once: each type has a
/// `config: Arc<ClientConfig>` and gets these builder methods.
macro_rules! client_options {
    () => {
        fn with(mut self, change: impl FnOnce(&mut ClientConfig)) -> Self {
            change(std::sync::Arc::make_mut(&mut self.config));
            self
        }

        /// Records with `tracer` instead of the global one.
        pub fn tracer(self, tracer: tracekit_runtime::Tracer) -> Self {
            self.with(|config| config.tracer = Some(tracer))
        }

        /// Whether a request sent with no span active starts a trace of
        /// its own, as OpenTelemetry's client instrumentations do (on by
        /// default). Off, such requests go out untouched: no span, no
        /// headers added.
        pub fn root_spans(self, roots: bool) -> Self {
            self.with(|config| config.root_spans = roots)
        }

        /// Keeps the query in `url.full` (off by default: a query often
        /// carries tokens).
        pub fn record_query(self, record: bool) -> Self {
            self.with(|config| config.record_query = record)
        }

        /// Records the request header `name` as
        /// `http.request.header.<name>` (a header under a secret name,
        /// see [`redaction`](tracekit_runtime::redaction), as
        /// `[redacted]`).
        pub fn record_request_header(self, name: &str) -> Self {
            self.with(|config| {
                config.request_headers.add(name);
            })
        }

        /// Records the response header `name` as
        /// `http.response.header.<name>` (a secret one as `[redacted]`).
        pub fn record_response_header(self, name: &str) -> Self {
            self.with(|config| {
                config.response_headers.add(name);
            })
        }
    };
}

#[cfg(feature = "reqwest")]
mod reqwest;
#[cfg(feature = "client")]
mod tower;

#[cfg(feature = "reqwest")]
pub use self::reqwest::TracingMiddleware;
#[cfg(feature = "client")]
pub use self::tower::{ClientFuture, ClientLayer, ClientService};

use std::fmt::Display;
use std::net::SocketAddr;

use http::{HeaderMap, Method, StatusCode, Version};
use tracekit_runtime::{CarriedSpan, SpanKind, Tracer};

use crate::headers::RecordedHeaders;
use crate::semconv;

/// What the client side records, shared by the layer and the middleware.
#[derive(Clone, Debug)]
pub(crate) struct ClientConfig {
    pub(crate) tracer: Option<Tracer>,
    pub(crate) root_spans: bool,
    pub(crate) record_query: bool,
    pub(crate) request_headers: RecordedHeaders,
    pub(crate) response_headers: RecordedHeaders,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            tracer: None,
            root_spans: true,
            record_query: false,
            request_headers: RecordedHeaders::default(),
            response_headers: RecordedHeaders::default(),
        }
    }
}

/// Where a request goes, read from whichever URL type the client has.
pub(crate) struct Target<'a> {
    pub(crate) scheme: Option<&'a str>,
    /// The host, an IPv6 address in brackets.
    pub(crate) host: Option<&'a str>,
    /// The port the URL names, if it names one.
    pub(crate) port: Option<u16>,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
}

impl<'a> Target<'a> {
    /// The target of an `http::Uri` (its authority parsed once: `host` and
    /// `port_u16` parse it again at every call).
    #[cfg(any(feature = "client", test))]
    pub(crate) fn of_uri(uri: &'a http::Uri) -> Target<'a> {
        let authority = uri.authority();
        Target {
            scheme: uri.scheme_str(),
            host: authority.map(|a| a.host()),
            port: authority.and_then(|a| a.port_u16()),
            path: uri.path(),
            query: uri.query(),
        }
    }
}

impl ClientConfig {
    /// Starts the span of a request to `target` and writes its context
    /// into `headers`; `None` (and the headers untouched) when nothing is
    /// active and root client spans are turned off, or when tracing is
    /// off. `resend_count`: how many times this request was sent before.
    pub(crate) fn start(
        &self,
        method: &Method,
        target: &Target<'_>,
        headers: &mut HeaderMap,
        resend_count: u32,
    ) -> Option<CarriedSpan> {
        let tracer = self
            .tracer
            .as_ref()
            .unwrap_or_else(|| tracekit_runtime::global());
        if !tracer.is_enabled() {
            return None;
        }
        if !self.root_spans && !tracekit_runtime::context::has_current() {
            return None;
        }
        // One builder, tagged in place (see the server's).
        let mut span = tracer
            .span(semconv::method_name(method))
            .kind(SpanKind::Client);
        span.set_tag("http.request.method", semconv::method_tag(method))
            .set_tag("url.full", full_url(target, self.record_query));
        if let Some(host) = target.host {
            span.set_tag("server.address", semconv::text(semconv::unbracketed(host)));
        }
        if let Some(port) = target
            .port
            .or_else(|| semconv::default_port(target.scheme?))
        {
            span.set_tag("server.port", i64::from(port));
        }
        if resend_count > 0 {
            span.set_tag("http.request.resend_count", i64::from(resend_count));
        }
        let mut span = span.start_carried();
        record_headers(
            &mut span,
            &self.request_headers,
            "http.request.header",
            headers,
        );
        tracer.inject(&span.context(), headers);
        Some(span)
    }

    /// Records the response's status, headers, protocol version and the
    /// address of the peer that answered, where the client tells it.
    pub(crate) fn answered(&self, span: &mut CarriedSpan, response: Answer<'_>) {
        let Answer {
            status,
            version,
            headers,
            peer,
        } = response;
        span.set_tag("http.response.status_code", i64::from(status.as_u16()));
        if let Some(version) = semconv::protocol_version(version) {
            span.set_tag("network.protocol.version", version);
        }
        if let Some(peer) = peer {
            span.set_tag("network.peer.address", semconv::ip_text(peer.ip()));
            span.set_tag("network.peer.port", i64::from(peer.port()));
        }
        if let Some(error) = semconv::status_error(status, true) {
            span.set_tag("error", true);
            span.set_tag("error.type", error);
        }
        record_headers(
            span,
            &self.response_headers,
            "http.response.header",
            headers,
        );
    }

    /// Records a request that got no response.
    pub(crate) fn failed(&self, span: &mut CarriedSpan, kind: &str, error: &dyn Display) {
        span.record_error(kind, &error.to_string());
    }
}

/// What a client learned of a response, whichever client it is.
pub(crate) struct Answer<'a> {
    pub(crate) status: StatusCode,
    pub(crate) version: Version,
    pub(crate) headers: &'a HeaderMap,
    /// The socket address that answered (reqwest's `remote_addr`,
    /// hyper-util's `HttpInfo`).
    pub(crate) peer: Option<SocketAddr>,
}

/// Tags `span` with the chosen headers, if any are chosen.
fn record_headers(
    span: &mut CarriedSpan,
    chosen: &RecordedHeaders,
    prefix: &str,
    headers: &HeaderMap,
) {
    if span.is_recording() && !chosen.is_empty() {
        span.with_ref(|span| chosen.record(prefix, headers, span));
    }
}

/// `url.full`: the URL without credentials, and without its query unless
/// asked (a query often carries tokens).
fn full_url(target: &Target<'_>, with_query: bool) -> String {
    let query = target.query.filter(|_| with_query);
    // The exact length: the tag keeps the string's allocation as it is.
    let port_len = |port: u16| port.checked_ilog10().unwrap_or(0) as usize + 2;
    let mut url = String::with_capacity(
        target.scheme.map_or(0, |scheme| scheme.len() + 3)
            + target
                .host
                .map_or(0, |host| host.len() + target.port.map_or(0, port_len))
            + target.path.len()
            + query.map_or(0, |query| query.len() + 1),
    );
    if let Some(scheme) = target.scheme {
        url.push_str(scheme);
        url.push_str("://");
    }
    if let Some(host) = target.host {
        url.push_str(host);
        if let Some(port) = target.port {
            use std::fmt::Write;
            let _ = write!(url, ":{port}");
        }
    }
    url.push_str(target.path);
    if let Some(query) = query {
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
        let full = |uri: &str, query| {
            let uri: http::Uri = uri.parse().unwrap();
            full_url(&Target::of_uri(&uri), query)
        };
        let secret = "https://user:secret@api.example:8443/cart/7?token=abc";
        assert_eq!(full(secret, false), "https://api.example:8443/cart/7");
        assert_eq!(
            full(secret, true),
            "https://api.example:8443/cart/7?token=abc"
        );
        assert_eq!(full("http://[::1]/", false), "http://[::1]/");
    }
}
