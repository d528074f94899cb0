//! A span whose state may be reached from several threads: a [`Span`]
//! from the builder, which scopes make active on any thread, and which the
//! scope stack holds while it is.
//!
//! [`Span`]: crate::Span

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::export::{Pipeline, Shared};
use crate::identity::{Baggage, SpanContext, SpanId, TraceId, TraceState};
use crate::live::LiveSpan;

/// A span whose state may be reached from several threads.
pub(crate) struct SharedSpan {
    pub(crate) trace_id: TraceId,
    pub(crate) span_id: SpanId,
    pub(crate) sampled: bool,
    pub(crate) random_trace_id: bool,
    /// Whether the baggage may be non-empty: most spans carry none, and then
    /// reading the context takes no lock.
    pub(crate) has_baggage: AtomicBool,
    /// Never changes after the start, so it is read without the lock.
    pub(crate) trace_state: TraceState,
    /// Where it goes when it finishes; held, so that the pipeline outlives
    /// the span even when the tracer does not. `None` for the global
    /// tracer's, which lives as long as the process and is looked up at
    /// the finish: its spans then count no reference on one cache line
    /// that every thread's spans would share.
    pipeline: Option<Arc<Pipeline>>,
    /// The tracer's cut for string tags.
    pub(crate) max_tag_len: usize,
    state: Mutex<LiveSpan>,
}

impl SharedSpan {
    /// Shares `live`, the state the start engine made.
    pub(crate) fn new(
        live: LiveSpan,
        pipeline: Option<Arc<Pipeline>>,
        max_tag_len: usize,
    ) -> SharedSpan {
        SharedSpan {
            trace_id: live.trace_id,
            span_id: live.span_id,
            sampled: live.sampled,
            random_trace_id: live.random_trace_id,
            has_baggage: AtomicBool::new(!live.baggage.is_empty()),
            trace_state: live.trace_state.clone(),
            pipeline,
            max_tag_len,
            state: Mutex::new(live),
        }
    }

    pub(crate) fn trace_id(&self) -> TraceId {
        self.trace_id
    }

    pub(crate) fn is_sampled(&self) -> bool {
        self.sampled
    }

    #[inline]
    pub(crate) fn lock(&self) -> MutexGuard<'_, LiveSpan> {
        // Nothing panics while holding this lock, but a poisoned lock must
        // not take tracing down with it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn context(&self) -> SpanContext {
        let context = SpanContext::new(self.trace_id, self.span_id, self.sampled)
            .with_random_trace_id(self.random_trace_id)
            .with_trace_state(self.trace_state.clone());
        if self.has_baggage.load(Ordering::Acquire) {
            context.with_baggage(self.lock().baggage.clone())
        } else {
            context
        }
    }

    /// What a child started under this span inherits.
    #[inline]
    pub(crate) fn as_parent(&self) -> LocalParent {
        LocalParent {
            trace_id: self.trace_id,
            span_id: self.span_id,
            sampled: self.sampled,
            random_trace_id: self.random_trace_id,
            baggage: self.baggage(),
            trace_state: self.trace_state.clone(),
        }
    }

    /// The baggage a child inherits: read under the lock only when there
    /// may be some.
    #[inline(always)]
    pub(crate) fn baggage(&self) -> Baggage {
        if self.has_baggage.load(Ordering::Acquire) {
            self.locked_baggage()
        } else {
            Baggage::new()
        }
    }

    #[cold]
    #[inline(never)]
    fn locked_baggage(&self) -> Baggage {
        self.lock().baggage.clone()
    }

    /// Finishes the span at `end`; `global` gives the global tracer's
    /// pipeline, for a span of that tracer.
    pub(crate) fn finish_at_stamp<'a>(
        mut self: Arc<Self>,
        end: u64,
        global: impl FnOnce() -> Option<&'a Arc<Shared>>,
    ) {
        // The owner usually holds the only reference: then no lock is taken.
        let record = match Arc::get_mut(&mut self) {
            Some(unique) => live_of(&mut unique.state).finish(end),
            None => self.lock().finish(end),
        };
        if let Some(record) = record {
            let shared = match &self.pipeline {
                Some(pipeline) => pipeline.shared(),
                None => global(),
            };
            match shared {
                Some(shared) => super::thread::submit(shared, record),
                None => crate::observe::show(&record),
            }
        }
    }
}

/// The state behind a lock that is not shared (no lock taken).
fn live_of(state: &mut Mutex<LiveSpan>) -> &mut LiveSpan {
    state
        .get_mut()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What a child takes from a parent span of this process.
pub(crate) struct LocalParent {
    pub(crate) trace_id: TraceId,
    pub(crate) span_id: SpanId,
    pub(crate) sampled: bool,
    pub(crate) random_trace_id: bool,
    pub(crate) baggage: Baggage,
    pub(crate) trace_state: TraceState,
}
