//! What the server layer records, set once on the layer and shared by
//! every request.

use std::borrow::Cow;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::sync::Arc;

use http::request::Parts;
use http::{HeaderMap, StatusCode};
use tower_layer::Layer;
use tracekit_runtime::{CarriedSpan, SpanKind, SpanRef, Tracer};

use super::body::RequestBody;
use super::service::TracedService;
use crate::capture::{BodyCapture, Captured, Slot};
use crate::grpc;
use crate::guard;
use crate::headers::RecordedHeaders;
use crate::names;
use crate::semconv::{self, text};

/// Called with each request's head and its span before the handler runs:
/// for the user's own tags (the original's `before_call`). The `SpanRef`
/// works while the hook runs; in the handler, reach the span with
/// `with_active_span`.
pub type RequestHook = Arc<dyn Fn(&Parts, &SpanRef) + Send + Sync>;

/// Called with each response's status, headers and span when the handler
/// has answered (the original's `after_call`). The `SpanRef` works while
/// the hook runs.
pub type ResponseHook = Arc<dyn Fn(StatusCode, &HeaderMap, &SpanRef) + Send + Sync>;

/// A layer that traces every request of the service it wraps.
///
/// Serve an axum app with `into_make_service_with_connect_info::<SocketAddr>()`:
/// without it the server knows no peer address, and spans have no
/// `client.address`.
///
/// ```no_run
/// use std::net::SocketAddr;
/// use axum::{Router, routing::get};
/// use tracekit_http::ServerLayer;
///
/// # #[tokio::main]
/// # async fn main() -> std::io::Result<()> {
/// let app = Router::new()
///     .route("/items/{id}", get(|| async { "apple" }))
///     .layer(ServerLayer::new());
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await
/// # }
/// ```
///
/// The span is named `{METHOD} {route}` when the route template is known
/// (axum's `MatchedPath`, with the `axum` feature, when the layer is added
/// with `Router::layer`), else `{METHOD}`; never the raw path. It
/// continues the trace the request carries (in the tracer's propagation
/// formats), is active while the handler runs (on every poll of its
/// future, so `#[traced]` functions inside are its children across
/// `.await`), and finishes when the response body has been sent in full,
/// or, tagged `cancelled = true`, when the connection is dropped first.
///
/// Tags follow OpenTelemetry's HTTP conventions: `http.request.method`,
/// `url.path`, `url.scheme`, `url.query` (with
/// [`record_query`](Self::record_query)), `server.address`,
/// `server.port`, `client.address` (from axum's `ConnectInfo`, or a
/// `SocketAddr` in the request's extensions), `user_agent.original`,
/// `http.route`, `network.protocol.version`, `http.response.status_code`,
/// and `error.type` on a 5xx or a handler error, which mark the span as
/// an error (a 4xx does not). `url.scheme` is the request URI's scheme,
/// or `http` when the request names none (HTTP/1.1 request lines do not):
/// behind a proxy that ends TLS, set it from the proxy's headers in a
/// request hook.
///
/// A gRPC call (tonic) is named `package.Service/Method` and tagged
/// `rpc.system`, `rpc.service`, `rpc.method` and `rpc.grpc.status_code`
/// (read from its trailers); it is an error for the statuses that are the
/// server's doing (`UNKNOWN`, `DEADLINE_EXCEEDED`, `UNIMPLEMENTED`,
/// `INTERNAL`, `UNAVAILABLE`, `DATA_LOSS`).
///
/// Add the layer once, on the outermost router: a router nested inside
/// another needs none of its own (its handlers run in the outer span).
///
/// `R` says what becomes of request bodies: [`PassRequest`] by default
/// (the service gets them as they are), [`CaptureRequest`] after
/// [`capture_request_body`](Self::capture_request_body) (wrapped in a
/// [`RequestBody`] that copies their first bytes).
pub struct ServerLayer<R = PassRequest> {
    config: Arc<Config>,
    mode: PhantomData<fn() -> R>,
}

impl<R> Clone for ServerLayer<R> {
    fn clone(&self) -> Self {
        ServerLayer {
            config: Arc::clone(&self.config),
            mode: PhantomData,
        }
    }
}

impl<R> std::fmt::Debug for ServerLayer<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerLayer")
            .field("record_query", &self.config.record_query)
            .field("request_body", &self.config.request_body)
            .field("response_body", &self.config.response_body)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Default)]
pub(crate) struct Config {
    tracer: Option<Tracer>,
    record_query: bool,
    request_headers: RecordedHeaders,
    response_headers: RecordedHeaders,
    request_body: Option<BodyCapture>,
    response_body: Option<BodyCapture>,
    on_request: Option<RequestHook>,
    on_response: Option<ResponseHook>,
}

impl Default for ServerLayer {
    fn default() -> Self {
        ServerLayer::new()
    }
}

impl ServerLayer {
    /// A layer that records with the global tracer.
    pub fn new() -> ServerLayer {
        ServerLayer {
            config: Arc::new(Config::default()),
            mode: PhantomData,
        }
    }
}

impl<R> ServerLayer<R> {
    fn with(mut self, change: impl FnOnce(&mut Config)) -> Self {
        change(Arc::make_mut(&mut self.config));
        self
    }

    /// Records with `tracer` instead of the global one.
    pub fn tracer(self, tracer: Tracer) -> Self {
        self.with(|config| config.tracer = Some(tracer))
    }

    /// Records the query string as `url.query` (off by default: queries
    /// often hold what should not be kept).
    pub fn record_query(self, record: bool) -> Self {
        self.with(|config| config.record_query = record)
    }

    /// Records the request header `name` as `http.request.header.<name>`.
    /// `authorization`, `cookie`, `set-cookie` and `proxy-authorization`
    /// are never recorded.
    pub fn record_request_header(self, name: &str) -> Self {
        self.with(|config| {
            config.request_headers.add(name);
        })
    }

    /// Records the response header `name` as `http.response.header.<name>`
    /// (credential headers never).
    pub fn record_response_header(self, name: &str) -> Self {
        self.with(|config| {
            config.response_headers.add(name);
        })
    }

    /// Records the first bytes of textual response bodies as
    /// `http.response.body` (and `http.response.body.truncated = true` when
    /// there was more), copied as the body streams.
    pub fn capture_response_body(self, capture: BodyCapture) -> Self {
        self.with(|config| config.response_body = Some(capture))
    }

    /// Records the first bytes of textual request bodies as
    /// `http.request.body`, as the handler reads them (nothing for a body
    /// the handler did not read). The service then
    /// gets each request's body wrapped in a [`RequestBody`].
    pub fn capture_request_body(self, capture: BodyCapture) -> ServerLayer<CaptureRequest> {
        let mut config = self.config;
        Arc::make_mut(&mut config).request_body = Some(capture);
        ServerLayer {
            config,
            mode: PhantomData,
        }
    }

    /// Calls `hook` with each request's head and span before the handler
    /// runs. A panic in it is logged on the span (`event = "hook_failed"`)
    /// and goes no further. The span handle works while the hook runs: the
    /// span then travels with the request's future, active on each poll,
    /// where `with_active_span` reaches it.
    ///
    /// ```
    /// use tracekit_http::ServerLayer;
    ///
    /// let layer = ServerLayer::new().on_request(|parts, span| {
    ///     if let Some(tenant) = parts.headers.get("x-tenant").and_then(|v| v.to_str().ok()) {
    ///         span.set_tag("tenant", tenant.to_owned());
    ///     }
    /// });
    /// # drop(layer);
    /// ```
    pub fn on_request(self, hook: impl Fn(&Parts, &SpanRef) + Send + Sync + 'static) -> Self {
        self.with(|config| config.on_request = Some(Arc::new(hook)))
    }

    /// Calls `hook` with each response's status, headers and span.
    pub fn on_response(
        self,
        hook: impl Fn(StatusCode, &HeaderMap, &SpanRef) + Send + Sync + 'static,
    ) -> Self {
        self.with(|config| config.on_response = Some(Arc::new(hook)))
    }
}

impl<S, R> Layer<S> for ServerLayer<R> {
    type Service = TracedService<S, R>;

    fn layer(&self, inner: S) -> Self::Service {
        TracedService::new(inner, Arc::clone(&self.config))
    }
}

/// What becomes of a request's body on its way to the service:
/// [`PassRequest`] or [`CaptureRequest`].
pub trait RequestBodyMode: sealed::Sealed + Send + Sync + 'static {
    /// The body the service gets.
    type Body<B>;

    /// Wraps `body`, with the capture of its first bytes if there is one.
    #[doc(hidden)]
    fn wrap<B>(body: B, capture: Option<sealed::Capture>) -> Self::Body<B>;
}

mod sealed {
    /// The modes are this crate's: `RequestBodyMode` names a type no one
    /// else can build.
    pub trait Sealed {}

    /// A request body's capture, and where it is left for its span when
    /// the body ends.
    pub struct Capture(
        pub(crate) crate::capture::Captured,
        pub(crate) crate::capture::Slot,
    );
}

/// Request bodies go to the service as they are.
#[derive(Debug)]
pub enum PassRequest {}

impl sealed::Sealed for PassRequest {}

impl RequestBodyMode for PassRequest {
    type Body<B> = B;

    fn wrap<B>(body: B, _: Option<sealed::Capture>) -> B {
        body
    }
}

/// Request bodies go to the service in a [`RequestBody`] that copies their
/// first bytes.
#[derive(Debug)]
pub enum CaptureRequest {}

impl sealed::Sealed for CaptureRequest {}

impl RequestBodyMode for CaptureRequest {
    type Body<B> = RequestBody<B>;

    fn wrap<B>(body: B, capture: Option<sealed::Capture>) -> RequestBody<B> {
        RequestBody::new(
            body,
            capture.map(|sealed::Capture(captured, slot)| (captured, slot)),
        )
    }
}

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

    /// The capture of the request body whose head is `parts`, if asked for
    /// and textual, and the slot it is left in when the body ends.
    pub(crate) fn request_capture(&self, parts: &Parts) -> Option<(sealed::Capture, Slot)> {
        let captured = self.request_body.as_ref()?.start(&parts.headers)?;
        let slot = Slot::default();
        Some((sealed::Capture(captured, slot.clone()), slot))
    }

    /// The capture of a response body with these headers, if asked for
    /// and textual.
    pub(crate) fn response_capture(&self, headers: &HeaderMap) -> Option<Captured> {
        self.response_body.as_ref()?.start(headers)
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
