//! The future of a traced request: the handler runs with the span active
//! on every poll; its answer goes out with the span in its body.

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::Response;
use tracekit_runtime::CarriedSpan;

use super::body::{ResponseBody, finish};
use super::config::Config;
use crate::capture::Slot;

pin_project_lite::pin_project! {
    /// The response future of a [`TracedService`](super::TracedService).
    /// Dropped before the handler answered, it finishes the span tagged
    /// `cancelled = true`.
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        // A noop once the response's body took it.
        span: CarriedSpan,
        config: Arc<Config>,
        request_body: Option<Slot>,
        // The request is a gRPC call.
        grpc: bool,
    }

    impl<F> PinnedDrop for ResponseFuture<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if !this.span.is_noop() {
                let mut span = std::mem::replace(this.span, CarriedSpan::noop());
                span.set_tag("cancelled", true);
                finish(span, None, this.request_body.take());
            }
        }
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(
        inner: F,
        span: CarriedSpan,
        config: Arc<Config>,
        request_body: Option<Slot>,
        grpc: bool,
    ) -> Self {
        ResponseFuture {
            inner,
            span,
            config,
            request_body,
            grpc,
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    E: Display,
    B: http_body::Body,
{
    type Output = Result<Response<ResponseBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let inner = this.inner;
        let Poll::Ready(result) = this.span.in_scope(|| inner.poll(cx)) else {
            return Poll::Pending;
        };
        let mut span = std::mem::replace(this.span, CarriedSpan::noop());
        let request_body = this.request_body.take();
        Poll::Ready(match result {
            Ok(response) => {
                this.config
                    .answered(&mut span, response.status(), response.headers(), *this.grpc);
                let capture = this.config.response_capture(response.headers());
                Ok(response.map(|body| ResponseBody::new(body, span, capture, request_body)))
            }
            Err(error) => {
                span.record_error(std::any::type_name::<E>(), &error.to_string());
                finish(span, None, request_body);
                Err(error)
            }
        })
    }
}
