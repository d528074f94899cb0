//! Bodies that carry a request's span: the response body finishes it after
//! its last chunk; both copy their first bytes when capture is on.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Buf;
use http_body::{Body, Frame, SizeHint};
use tracekit_runtime::{Span, SpanRef};

use crate::capture::Captured;

pin_project_lite::pin_project! {
    /// A response body that finishes its request's span once its last
    /// chunk has been taken, or when it is dropped (tagged `cancelled =
    /// true` if it had not reached its end: the connection went away).
    pub struct ResponseBody<B> {
        #[pin]
        inner: B,
        span: Option<Span>,
        captured: Option<Captured>,
        // What `inner.is_end_stream()` said last: a body that has ended
        // (an empty one from the start) is not polled again by the server.
        at_end: bool,
    }

    impl<B> PinnedDrop for ResponseBody<B> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(span) = this.span.take() {
                if !*this.at_end {
                    span.set_tag("cancelled", true);
                }
                finish(span, this.captured.take());
            }
        }
    }
}

impl<B: Body> ResponseBody<B> {
    pub(crate) fn new(inner: B, span: Span, captured: Option<Captured>) -> Self {
        ResponseBody {
            at_end: inner.is_end_stream(),
            inner,
            span: Some(span),
            captured,
        }
    }
}

fn finish(span: Span, captured: Option<Captured>) {
    if let Some(captured) = captured {
        captured.record("http.response.body", &span);
    }
    span.finish();
}

impl<B: Body> Body for ResponseBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        let mut this = self.project();
        let scope = this.span.as_ref().map(Span::activate);
        let polled = this.inner.as_mut().poll_frame(cx);
        drop(scope);
        match &polled {
            Poll::Pending => {}
            Poll::Ready(Some(Ok(frame))) => {
                if let (Some(captured), Some(data)) = (this.captured.as_mut(), frame.data_ref()) {
                    captured.copy(data.chunk());
                }
                if let (Some(span), Some(trailers)) = (this.span.as_ref(), frame.trailers_ref()) {
                    crate::grpc::record_status(trailers, span);
                }
                *this.at_end = this.inner.is_end_stream();
                if *this.at_end {
                    end(this.span, this.captured);
                }
            }
            Poll::Ready(Some(Err(_))) => {
                if let Some(span) = this.span.as_ref() {
                    span.record_error("body", "the response body failed while it was sent");
                }
                end(this.span, this.captured);
            }
            Poll::Ready(None) => end(this.span, this.captured),
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

fn end(span: &mut Option<Span>, captured: &mut Option<Captured>) {
    if let Some(span) = span.take() {
        finish(span, captured.take());
    }
}

pin_project_lite::pin_project! {
    /// A request body whose first bytes are copied, as the handler reads
    /// them, into its request's span (`http.request.body`); made when the
    /// layer captures request bodies.
    pub struct RequestBody<B> {
        #[pin]
        inner: B,
        capture: Option<(Captured, SpanRef)>,
    }

    impl<B> PinnedDrop for RequestBody<B> {
        fn drop(this: Pin<&mut Self>) {
            // A handler that read part of the body: record that part.
            if let Some((captured, span)) = this.project().capture.take() {
                captured.record("http.request.body", &span);
            }
        }
    }
}

impl<B> RequestBody<B> {
    pub(crate) fn new(inner: B, capture: Option<(Captured, SpanRef)>) -> Self {
        RequestBody { inner, capture }
    }
}

impl<B: Body> Body for RequestBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        let mut this = self.project();
        let polled = this.inner.as_mut().poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let (Some((captured, _)), Some(data)) = (this.capture.as_mut(), frame.data_ref())
        {
            captured.copy(data.chunk());
        }
        let ended = matches!(polled, Poll::Ready(None) | Poll::Ready(Some(Err(_))))
            || this.inner.is_end_stream();
        if ended && let Some((captured, span)) = this.capture.take() {
            captured.record("http.request.body", &span);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
