//! The span of a request: its name (the route template, the gRPC method)
//! and OpenTelemetry's semantic tags, from the request's head and then the
//! response's.

use std::borrow::Cow;
use std::net::SocketAddr;

use http::request::Parts;
use http::{HeaderMap, StatusCode};
use tracekit_runtime::{CarriedSpan, SpanKind};

use super::config::Config;
use crate::grpc;
use crate::guard;
use crate::names;
use crate::semconv::{self, text};

impl Config {
    /// Starts the span of the request whose head is `parts`, with every
    /// tag the head gives, and runs the request hook. Not generic: compiled
    /// once, whatever the service and body types.
    pub(crate) fn start(&self, parts: &Parts, grpc: bool) -> CarriedSpan {
        let tracer = self
            .tracer
            .as_ref()
            .unwrap_or_else(|| tracekit_runtime::global());
        if !tracer.is_enabled() {
            return CarriedSpan::noop();
        }
        let route = route(parts);
        let method = semconv::method_name(&parts.method);
        let rpc = grpc
            .then(|| grpc::service_and_method(parts.uri.path()))
            .flatten();
        let name = match (rpc, route) {
            (Some((service, method)), _) => Cow::Owned(format!("{service}/{method}")),
            (None, Some(route)) => names::route_name(method, route),
            (None, None) => Cow::Borrowed(method),
        };
        let scheme = parts.uri.scheme_str().unwrap_or("http");
        // One builder, tagged in place: moving it for each tag costs more
        // than the tag.
        let mut span = tracer
            .span(name)
            .kind(SpanKind::Server)
            .child_of(tracer.extract(&parts.headers));
        span.set_tag("http.request.method", semconv::method_tag(&parts.method))
            .set_tag("url.path", text(parts.uri.path()))
            .set_tag("url.scheme", text(scheme));
        if let Some(route) = route {
            span.set_tag("http.route", text(route));
        }
        if let Some((service, method)) = rpc {
            span.set_tag("rpc.system", "grpc")
                .set_tag("rpc.service", text(service))
                .set_tag("rpc.method", text(method));
        }
        if self.record_query
            && let Some(query) = parts.uri.query()
        {
            span.set_tag("url.query", text(query));
        }
        if let Some((host, port)) = semconv::host_and_port(&parts.uri, &parts.headers) {
            span.set_tag("server.address", text(host));
            if let Some(port) = port.or_else(|| semconv::default_port(scheme)) {
                span.set_tag("server.port", i64::from(port));
            }
        }
        if let Some(peer) = client_address(parts) {
            span.set_tag("client.address", semconv::ip_text(peer.ip()))
                .set_tag("client.port", i64::from(peer.port()));
        }
        if let Some(agent) = parts
            .headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
        {
            span.set_tag("user_agent.original", text(agent));
        }
        if let Some(version) = semconv::protocol_version(parts.version) {
            span.set_tag("network.protocol.version", version);
        }
        let mut span = span.start_carried();
        if span.is_recording() && (!self.request_headers.is_empty() || self.on_request.is_some()) {
            span.with_ref(|span| {
                self.request_headers
                    .record("http.request.header", &parts.headers, span);
                if let Some(hook) = &self.on_request {
                    guard::run_hook(span, "on_request", || hook(parts, span));
                }
            });
        }
        span
    }

    /// Records what the response's head says: status, headers, the hook.
    /// `grpc`: the request was a gRPC call (its answer then is one too).
    pub(crate) fn answered(
        &self,
        span: &mut CarriedSpan,
        status: StatusCode,
        headers: &HeaderMap,
        grpc: bool,
    ) {
        span.set_tag("http.response.status_code", i64::from(status.as_u16()));
        if let Some(error) = semconv::status_error(status, false) {
            span.set_tag("error", true);
            span.set_tag("error.type", error);
        }
        if span.is_recording()
            && (grpc || !self.response_headers.is_empty() || self.on_response.is_some())
        {
            span.with_ref(|span| {
                if grpc {
                    // A trailers-only answer (an error before any message).
                    grpc::record_status(headers, span);
                }
                self.response_headers
                    .record("http.response.header", headers, span);
                if let Some(hook) = &self.on_response {
                    guard::run_hook(span, "on_response", || hook(status, headers, span));
                }
            });
        }
    }
}

/// The matched route template.
fn route(parts: &Parts) -> Option<&str> {
    #[cfg(feature = "axum")]
    if let Some(path) = parts.extensions.get::<axum::extract::MatchedPath>() {
        return Some(path.as_str());
    }
    let _ = parts;
    None
}

/// The peer's address: axum's `ConnectInfo`, or a `SocketAddr` the server
/// put in the extensions.
fn client_address(parts: &Parts) -> Option<SocketAddr> {
    #[cfg(feature = "axum")]
    if let Some(info) = parts
        .extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
    {
        return Some(info.0);
    }
    parts.extensions.get::<SocketAddr>().copied()
}
