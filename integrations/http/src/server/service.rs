//! The traced service: starts a request's span, hands the request on with
//! the span active, and wraps what comes back.

use std::fmt::Display;
use std::marker::PhantomData;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_service::Service;

use super::body::ResponseBody;
use super::body_mode::RequestBodyMode;
use super::config::Config;
use super::future::ResponseFuture;

/// A service whose every request runs in a `server` span; made by
/// [`ServerLayer`](super::ServerLayer).
pub struct TracedService<S, R> {
    inner: S,
    config: Arc<Config>,
    mode: PhantomData<fn() -> R>,
}

impl<S, R> TracedService<S, R> {
    pub(crate) fn new(inner: S, config: Arc<Config>) -> Self {
        TracedService {
            inner,
            config,
            mode: PhantomData,
        }
    }
}

impl<S: Clone, R> Clone for TracedService<S, R> {
    fn clone(&self) -> Self {
        TracedService::new(self.inner.clone(), Arc::clone(&self.config))
    }
}

impl<S: std::fmt::Debug, R> std::fmt::Debug for TracedService<S, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TracedService")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, R, B, ResB> Service<Request<B>> for TracedService<S, R>
where
    R: RequestBodyMode,
    S: Service<Request<R::Body<B>>, Response = Response<ResB>>,
    S::Error: Display,
    ResB: http_body::Body,
{
    type Response = Response<ResponseBody<ResB>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let (parts, body) = request.into_parts();
        let grpc = crate::grpc::is_grpc(&parts.headers);
        let mut span = self.config.start(&parts, grpc);
        let (capture, request_body) = self.config.request_capture(&parts).unzip();
        let request = Request::from_parts(parts, R::wrap(body, capture));
        // The service's own `call` may start work (and spans) right away.
        let inner = span.in_scope(|| self.inner.call(request));
        ResponseFuture::new(inner, span, Arc::clone(&self.config), request_body, grpc)
    }
}
