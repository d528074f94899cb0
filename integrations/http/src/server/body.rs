//! Bodies that carry a request's span: the response body finishes it after
//! its last chunk; both copy their first bytes when capture is on.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Buf;
use http_body::{Body, Frame, SizeHint};
use tracekit_runtime::CarriedSpan;

use crate::capture::{Captured, Slot};

pin_project_lite::pin_project! {
    /// A response body that finishes its request's span once its last
    /// chunk has been taken, or when it is dropped (tagged `cancelled =
    /// true` if it had not reached its end: the connection went away).
    pub struct ResponseBody<B> {
        #[pin]
        inner: B,
        // A noop once finished.
        span: CarriedSpan,
        captured: Option<Captured>,
        request_body: Option<Slot>,
        // What `inner.is_end_stream()` said last: a body that has ended
        // (an empty one from the start) is not polled again by the server.
        at_end: bool,
    }

    impl<B> PinnedDrop for ResponseBody<B> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if !this.span.is_noop() {
                if !*this.at_end {
                    this.span.set_tag("cancelled", true);
                }
                end(this.span, this.captured, this.request_body);
            }
        }
    }
}

impl<B: Body> ResponseBody<B> {
    pub(crate) fn new(
        inner: B,
        span: CarriedSpan,
        captured: Option<Captured>,
        request_body: Option<Slot>,
    ) -> Self {
        ResponseBody {
            at_end: inner.is_end_stream(),
            inner,
            span,
            captured,
            request_body,
        }
    }
}

/// Finishes a request's span, with the bodies' captures.
pub(crate) fn finish(
    mut span: CarriedSpan,
    captured: Option<Captured>,
    request_body: Option<Slot>,
) {
    if let Some(captured) = captured {
        span.with_ref(|span| captured.record("http.response.body", span));
    }
    if let Some(slot) = request_body {
        slot.record("http.request.body", &mut span);
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
        let inner = this.inner.as_mut();
        let polled = this.span.in_scope(|| inner.poll_frame(cx));
        match &polled {
            Poll::Pending => {}
            Poll::Ready(Some(Ok(frame))) => {
                if let (Some(captured), Some(data)) = (this.captured.as_mut(), frame.data_ref()) {
                    captured.copy(data.chunk());
                }
                if let Some(trailers) = frame.trailers_ref()
                    && this.span.is_recording()
                {
                    this.span
                        .with_ref(|span| crate::grpc::record_status(trailers, span));
                }
                *this.at_end = this.inner.is_end_stream();
                if *this.at_end {
                    end(this.span, this.captured, this.request_body);
                }
            }
            Poll::Ready(Some(Err(_))) => {
                this.span
                    .record_error("body", "the response body failed while it was sent");
                end(this.span, this.captured, this.request_body);
            }
            Poll::Ready(None) => end(this.span, this.captured, this.request_body),
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

fn end(span: &mut CarriedSpan, captured: &mut Option<Captured>, request_body: &mut Option<Slot>) {
    if !span.is_noop() {
        let span = std::mem::replace(span, CarriedSpan::noop());
        finish(span, captured.take(), request_body.take());
    }
}

pin_project_lite::pin_project! {
    /// A request body whose first bytes are copied, as the handler reads
    /// them, for its request's span (`http.request.body`); made when the
    /// layer captures request bodies.
    pub struct RequestBody<B> {
        #[pin]
        inner: B,
        capture: Option<(Captured, Slot)>,
    }

    impl<B> PinnedDrop for RequestBody<B> {
        fn drop(this: Pin<&mut Self>) {
            // A handler that read part of the body: that part is recorded.
            if let Some((captured, slot)) = this.project().capture.take() {
                slot.leave(captured);
            }
        }
    }
}

impl<B> RequestBody<B> {
    pub(crate) fn new(inner: B, capture: Option<(Captured, Slot)>) -> Self {
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
        if ended && let Some((captured, slot)) = this.capture.take() {
            slot.leave(captured);
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
