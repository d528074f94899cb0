//! `ServerLayer`: the tower layer, and the builder of its options.

use std::marker::PhantomData;
use std::sync::Arc;

use http::request::Parts;
use http::{HeaderMap, StatusCode};
use tower_layer::Layer;
use tracekit_runtime::{SpanRef, Tracer};

use super::body_mode::{CaptureRequest, PassRequest};
use super::config::Config;
use super::service::TracedService;
use crate::capture::BodyCapture;

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
/// [`RequestBody`](super::RequestBody) that copies their first bytes).
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
    /// A header under a secret name (`authorization`, `cookie`,
    /// `set-cookie`, `x-api-key`, ...: the runtime's
    /// [`redaction`](tracekit_runtime::redaction) policy, which
    /// `TracerBuilder::redact_names` extends) is recorded as `[redacted]`.
    pub fn record_request_header(self, name: &str) -> Self {
        self.with(|config| {
            config.request_headers.add(name);
        })
    }

    /// Records the response header `name` as `http.response.header.<name>`
    /// (a secret one as `[redacted]`).
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
    /// gets each request's body wrapped in a [`RequestBody`](super::RequestBody).
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
