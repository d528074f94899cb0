//! The future of a traced request: the handler runs with the span active
//! on every poll; its answer goes out with the span in its body.

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::Response;
use tracekit_runtime::Span;

use super::body::ResponseBody;
use super::config::Config;

pin_project_lite::pin_project! {
    /// The response future of a [`TracedService`](super::TracedService).
    /// Dropped before the handler answered, it finishes the span tagged
    /// `cancelled = true`.
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        span: Option<Span>,
        config: Arc<Config>,
    }

    impl<F> PinnedDrop for ResponseFuture<F> {
        fn drop(this: Pin<&mut Self>) {
            if let Some(span) = this.project().span.take() {
                span.set_tag("cancelled", true);
            }
        }
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(inner: F, span: Span, config: Arc<Config>) -> Self {
        ResponseFuture {
            inner,
            span: Some(span),
            config,
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
        let scope = this.span.as_ref().map(Span::activate);
        let Poll::Ready(result) = this.inner.poll(cx) else {
            return Poll::Pending;
        };
        drop(scope);
        let span = this.span.take().unwrap_or_else(Span::noop);
        Poll::Ready(match result {
            Ok(response) => {
                this.config
                    .answered(&span, response.status(), response.headers());
                let capture = this.config.response_capture(response.headers());
                Ok(response.map(|body| ResponseBody::new(body, span, capture)))
            }
            Err(error) => {
                span.record_error(std::any::type_name::<E>(), &error.to_string());
                Err(error)
            }
        })
    }
}
