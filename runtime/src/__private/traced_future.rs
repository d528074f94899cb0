//! The traced future: an async call's span travels inside the future its
//! function returns, is lent to the polling thread on every poll, and
//! finishes when the future completes or is dropped.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use super::call::{CallSite, Finish, ReadOutcome, TracedCall, Unread, has_hooks, read_outcome};
use super::thunk::{Gather, Thunk};
use crate::clock;
use crate::live::LiveSpan;
use crate::local::{self, References};
use crate::tag::TagValue;
use crate::tracer::{GlobalSink, global};

/// One traced async call (or call returning a future) in progress. Its
/// span starts on this thread's scope stack, like a synchronous call's; the
/// future it returns then carries the span's state and makes it active on
/// whichever thread polls it, for the length of each poll (lent, and pushed
/// onto the stack only when something there needs it: see `local::lend`).
/// No lock and no shared allocation: the state has one owner at a time.
pub struct Traced {
    call: TracedCall,
    site: &'static CallSite,
}

impl Traced {
    /// A call made while no tracer is installed.
    #[inline(always)]
    pub fn disabled(site: &'static CallSite) -> Traced {
        Traced {
            call: TracedCall::disabled(),
            site,
        }
    }

    /// Starts the span of an async call on the global tracer (see
    /// [`TracedCall::start`]).
    #[inline]
    pub fn start(site: &'static CallSite, references: Option<&mut References>) -> Traced {
        Traced {
            call: TracedCall::start_carried::<true>(site, references),
            site,
        }
    }

    /// Whether the span records: only then are arguments and tags computed.
    #[inline]
    pub fn is_recording(&self) -> bool {
        self.call.recording
    }

    /// Records the `tags(..)` and arguments `write` gathers (see
    /// [`TracedCall::record`]).
    #[inline(always)]
    pub fn record(&self, count: usize, write: &mut dyn Gather) {
        self.call.record(self.site, count, write);
    }

    /// Runs the `before_call` hooks of a call with nothing to record.
    #[inline]
    pub fn before_call(&self) {
        self.call.before_call(self.site);
    }

    /// Runs `construct` (a body that builds a future) inside the span, then
    /// keeps the span open until the future completes.
    #[inline]
    pub fn run_future<F: Future>(self, construct: impl FnOnce() -> F) -> TracedFuture<F, Unread> {
        self.run_future_with(construct, Unread)
    }

    /// [`run_future`](Self::run_future), recording also what `reader`
    /// reads from the future's output.
    #[inline]
    pub fn run_future_reading<F: Future, P: Fn(&F::Output) -> Finish>(
        self,
        construct: impl FnOnce() -> F,
        reader: P,
    ) -> TracedFuture<F, P> {
        self.run_future_with(construct, reader)
    }

    fn run_future_with<F: Future, P: ReadOutcome<F::Output>>(
        mut self,
        construct: impl FnOnce() -> F,
        reader: P,
    ) -> TracedFuture<F, P> {
        if self.call.id == 0 {
            return self.run_async_with(construct(), reader);
        }
        // The span is active: it is on top of the stack.
        let mut construct = Some(construct);
        let mut inner = None;
        self.construct_caught(&mut || inner = construct.take().map(|construct| construct()));
        let Some(inner) = inner else {
            unreachable!("`construct_caught` returns only once the future is built")
        };
        self.run_async_with(inner, reader)
    }

    /// Runs `construct`; a panic there finishes the span and continues.
    #[inline(never)]
    fn construct_caught(&mut self, construct: &mut dyn Thunk) {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| construct.run())) {
            let call = std::mem::replace(&mut self.call, TracedCall::disabled());
            let end = call.end_stamp();
            call.finish_panicked(self.site, end, payload)
        }
    }

    /// Keeps the span open around `inner`: active on every poll, finished
    /// when it completes or is dropped.
    #[inline]
    pub fn run_async<F: Future>(self, inner: F) -> TracedFuture<F, Unread> {
        self.run_async_with(inner, Unread)
    }

    /// [`run_async`](Self::run_async), recording also what `reader` reads
    /// from the future's output.
    #[inline]
    pub fn run_async_reading<F: Future, P: Fn(&F::Output) -> Finish>(
        self,
        inner: F,
        reader: P,
    ) -> TracedFuture<F, P> {
        self.run_async_with(inner, reader)
    }

    #[inline]
    fn run_async_with<F: Future, P: ReadOutcome<F::Output>>(
        self,
        inner: F,
        reader: P,
    ) -> TracedFuture<F, P> {
        TracedFuture {
            inner,
            parked: park(self.call, self.site),
            reader,
        }
    }
}

/// Takes the span of `call` off this thread's stack, to travel with a
/// future. Out of line: the stack's code is compiled once, not into every
/// async function.
#[inline(never)]
fn park(mut call: TracedCall, site: &'static CallSite) -> Option<Parked> {
    let id = std::mem::take(&mut call.id);
    let live = local::take_carried(id)?;
    Some(Parked { live, site, id })
}

/// An async call's span between polls: its state, off any stack.
struct Parked {
    live: Box<LiveSpan>,
    site: &'static CallSite,
    /// The entry id it had when it started, which it takes again whenever
    /// a poll pushes it (see `local::lend`).
    id: u64,
}

impl Parked {
    /// Ends a future dropped before it completed: `cancelled = true`, the
    /// `after_call` hooks, finished.
    fn cancel(mut self) {
        let recording = self.live.recording;
        // Tagged first, so that a span finished without its hooks (during
        // thread teardown) says so too.
        if recording {
            self.live.set_tag("cancelled".into(), TagValue::Bool(true));
        }
        let end = clock::now_if(recording);
        match local::lend::<GlobalSink>(self.live, self.id) {
            Ok(lent) => {
                if let Some(call) = settle(lent, recording, end) {
                    call.finish_cancelled(self.site, end);
                }
            }
            Err(live) => local::finish_carried(live, end, global().pipeline()),
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of a traced `async fn` (or of a function returning a future).
    pub struct TracedFuture<F, P> {
        #[pin]
        inner: F,
        parked: Option<Parked>,
        reader: P,
    }

    impl<F, P> PinnedDrop for TracedFuture<F, P> {
        fn drop(this: Pin<&mut Self>) {
            if let Some(parked) = this.project().parked.take() {
                parked.cancel();
            }
        }
    }
}

impl<F: Future, P: ReadOutcome<F::Output>> Future for TracedFuture<F, P> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.project();
        let Some(Parked { live, site, id }) = this.parked.take() else {
            return this.inner.poll(cx);
        };
        let recording = live.recording;
        let lent = match local::lend::<GlobalSink>(live, id) {
            Ok(lent) => lent,
            // No stack on this thread any more: poll without the span.
            Err(live) => {
                *this.parked = Some(Parked { live, site, id });
                return this.inner.poll(cx);
            }
        };
        // The poll stays generic (each future's own `catch_unwind`): a
        // poll through a pointer would cost every poll a call, while the
        // compile time this saves is only paid by futures that are polled.
        let out = match catch_unwind(AssertUnwindSafe(|| this.inner.poll(cx))) {
            Ok(Poll::Ready(out)) => out,
            Ok(Poll::Pending) => {
                *this.parked = lent.take_back().map(|live| Parked { live, site, id });
                return Poll::Pending;
            }
            Err(payload) => {
                let end = clock::now_if(recording);
                if let Some(call) = settle(lent, recording, end) {
                    call.finish_panicked(site, end, payload);
                }
                resume_unwind(payload)
            }
        };
        let end = clock::now_if(recording);
        let outcome = recording.then(|| read_outcome(recording, &out, &*this.reader));
        finish_lent(lent, recording, site, end, outcome);
        Poll::Ready(out)
    }
}

/// Finishes a returned async call's span at `end`. `outcome` is what the
/// call returned, for a recording span. With nothing to record and no
/// hooks, a span no one pushed during the last poll is finished from the
/// future's hands, without a visit to the stack.
fn finish_lent(
    lent: local::Lent<GlobalSink>,
    recording: bool,
    site: &'static CallSite,
    end: u64,
    outcome: Option<Finish>,
) {
    let plain = outcome
        .as_ref()
        .is_none_or(|f| f.is_empty() && !has_hooks(site));
    let lent = if plain {
        match lent.finish(end) {
            Ok(()) => return,
            Err(lent) => lent,
        }
    } else {
        lent
    };
    if let Some(call) = settle(lent, recording, end) {
        call.finish_returned(site, end, outcome.unwrap_or_default());
    }
}

/// The call of a lent span, put on the stack for the endings that name it
/// there. During thread teardown there is no stack: the span is finished
/// at `end` without its outcome, rather than lost.
fn settle(lent: local::Lent<GlobalSink>, recording: bool, end: u64) -> Option<TracedCall> {
    match lent.settle() {
        Ok(id) => Some(TracedCall { id, recording }),
        Err(live) => {
            if let Some(live) = live {
                local::finish_carried(live, end, global().pipeline());
            }
            None
        }
    }
}
