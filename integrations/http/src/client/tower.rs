//! The client layer for tower services over `http` types, such as
//! hyper-util's client: a `client` span per request, its context in the
//! request's headers, finished when the response's head arrives.

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;
use tracekit_runtime::CarriedSpan;

use super::{Answer, ClientConfig, Target};

/// A layer that traces every request a client service sends.
///
/// Each request gets a `client` span named after its method, a child of
/// the active span, with `http.request.method`, `url.full` (without
/// credentials, and without the query unless
/// [`record_query`](Self::record_query)), `server.address`,
/// `server.port`, `http.response.status_code`,
/// `network.protocol.version`, and `error.type` on a 4xx, a 5xx or a
/// transport error; with the `hyper-util` feature, `network.peer.address`
/// and `network.peer.port` from the `HttpInfo` hyper-util's connector
/// leaves on the response. Its context is written into the request's
/// headers in the tracer's propagation formats. A request sent with no
/// span active starts a trace of its own, as OpenTelemetry's client
/// instrumentations do; [`root_spans(false)`](Self::root_spans) sends such
/// requests untouched instead. Dropped before its response came (a
/// timeout), the request's span ends tagged `cancelled = true`.
///
/// ```
/// use http_body_util::Empty;
/// use hyper_util::client::legacy::Client;
/// use hyper_util::rt::TokioExecutor;
/// use tower::ServiceBuilder;
/// use tracekit_http::ClientLayer;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let client = Client::builder(TokioExecutor::new()).build_http::<Empty<bytes::Bytes>>();
/// let client = ServiceBuilder::new().layer(ClientLayer::new()).service(client);
/// # drop(client);
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct ClientLayer {
    config: Arc<ClientConfig>,
}

impl ClientLayer {
    /// A layer that records with the global tracer.
    pub fn new() -> ClientLayer {
        ClientLayer::default()
    }

    client_options!();
}

impl<S> Layer<S> for ClientLayer {
    type Service = ClientService<S>;

    fn layer(&self, inner: S) -> ClientService<S> {
        ClientService {
            inner,
            config: Arc::clone(&self.config),
        }
    }
}

/// A client service whose requests are traced; made by [`ClientLayer`].
#[derive(Clone, Debug)]
pub struct ClientService<S> {
    inner: S,
    config: Arc<ClientConfig>,
}

impl<S, B, ResB> Service<Request<B>> for ClientService<S>
where
    S: Service<Request<B>, Response = Response<ResB>>,
    S::Error: Display,
{
    type Response = Response<ResB>;
    type Error = S::Error;
    type Future = ClientFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let (parts, body) = request.into_parts();
        let mut parts = parts;
        let target = Target::of_uri(&parts.uri);
        let span = self
            .config
            .start(&parts.method, &target, &mut parts.headers, 0);
        let request = Request::from_parts(parts, body);
        ClientFuture {
            inner: self.inner.call(request),
            span: span.unwrap_or_else(CarriedSpan::noop),
            config: Arc::clone(&self.config),
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of a [`ClientService`]. Dropped before the
    /// response came, it finishes the span tagged `cancelled = true`.
    pub struct ClientFuture<F> {
        #[pin]
        inner: F,
        // A noop once finished, and for an untraced request.
        span: CarriedSpan,
        config: Arc<ClientConfig>,
    }

    impl<F> PinnedDrop for ClientFuture<F> {
        fn drop(this: Pin<&mut Self>) {
            let span = this.project().span;
            if !span.is_noop() {
                span.set_tag("cancelled", true);
            }
        }
    }
}

impl<F, ResB, E> Future for ClientFuture<F>
where
    F: Future<Output = Result<Response<ResB>, E>>,
    E: Display,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let Poll::Ready(result) = this.inner.poll(cx) else {
            return Poll::Pending;
        };
        let mut span = std::mem::replace(this.span, CarriedSpan::noop());
        if !span.is_noop() {
            match &result {
                Ok(response) => this.config.answered(
                    &mut span,
                    Answer {
                        status: response.status(),
                        version: response.version(),
                        headers: response.headers(),
                        peer: peer_of(response),
                    },
                ),
                Err(error) => this.config.failed(&mut span, "transport", error),
            }
        }
        Poll::Ready(result)
    }
}

/// The address that answered, which hyper-util's connector leaves in the
/// response's extensions (`HttpInfo`); another connector may leave none.
#[cfg(feature = "hyper-util")]
fn peer_of<B>(response: &Response<B>) -> Option<std::net::SocketAddr> {
    use hyper_util::client::legacy::connect::HttpInfo;
    Some(response.extensions().get::<HttpInfo>()?.remote_addr())
}

/// Without hyper-util, the connector's address is not known.
#[cfg(not(feature = "hyper-util"))]
fn peer_of<B>(_: &Response<B>) -> Option<std::net::SocketAddr> {
    None
}
