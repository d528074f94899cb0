//! Spans and contexts for futures: a future may be polled on any thread, so
//! what it needs active is re-activated on every poll.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use crate::scope::Context;
use crate::span::{Span, SpanRef};

/// Adds span and context carrying to every future.
///
/// ```
/// use tracekit_runtime::{FutureExt, testing};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let ((), spans) = testing::capture_async(async {
///     let span = tracekit_runtime::global().span("download").start();
///     async { /* active on every poll */ }.in_span(span).await;
/// })
/// .await;
/// assert_eq!(spans[0].name, "download");
/// # }
/// ```
pub trait FutureExt: Future + Sized {
    /// Runs the future with `span` active on every poll; the span finishes
    /// when the future completes, or, tagged `cancelled = true`, when it is
    /// dropped before completing.
    fn in_span(self, span: Span) -> InSpan<Self> {
        InSpan {
            inner: self,
            span: Some(span),
        }
    }

    /// Carries what is active now into the future, wherever it is polled:
    /// use it for `tokio::spawn` and other executors.
    ///
    /// ```
    /// use tracekit_runtime::{FutureExt, testing};
    ///
    /// # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
    /// # async fn main() {
    /// let ((), spans) = testing::capture_async(async {
    ///     let parent = tracekit_runtime::global().span("parent").start();
    ///     let _scope = parent.activate();
    ///     let task = tokio::spawn(
    ///         async { tracekit_runtime::global().span("in task").start(); }.with_current_context(),
    ///     );
    ///     drop(_scope);
    ///     task.await.unwrap();
    /// })
    /// .await;
    /// assert_eq!(spans[0].parent_id, Some(spans[1].span_id));
    /// # }
    /// ```
    fn with_current_context(self) -> WithContext<Self> {
        self.with_context(Context::current())
    }

    /// Runs the future with `context` active on every poll.
    fn with_context(self, context: Context) -> WithContext<Self> {
        WithContext {
            inner: self,
            context,
        }
    }
}

impl<F: Future> FutureExt for F {}

pin_project_lite::pin_project! {
    /// A future running inside a span; made by [`FutureExt::in_span`].
    pub struct InSpan<F> {
        #[pin]
        inner: F,
        span: Option<Span>,
    }

    impl<F> PinnedDrop for InSpan<F> {
        fn drop(this: Pin<&mut Self>) {
            if let Some(span) = this.project().span.take() {
                span.set_tag("cancelled", true);
            }
        }
    }
}

impl<F: Future> Future for InSpan<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _scope = this.span.as_deref().map(SpanRef::activate);
        let poll = this.inner.poll(cx);
        if poll.is_ready() {
            this.span.take();
        }
        poll
    }
}

pin_project_lite::pin_project! {
    /// A future running under a carried context; made by
    /// [`FutureExt::with_current_context`].
    pub struct WithContext<F> {
        #[pin]
        inner: F,
        context: Context,
    }
}

impl<F: Future> Future for WithContext<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _scope = this.context.attach();
        this.inner.poll(cx)
    }
}
