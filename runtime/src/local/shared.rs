//! A span whose state may be reached from several threads: a [`Span`]
//! from the builder, which scopes make active on any thread, and which the
//! scope stack holds while it is.
//!
//! [`Span`]: crate::Span

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::export::raw::RawSpan;
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
        // The owner usually holds the only reference: then no lock is
        // taken, what the span owns moves out rather than being cloned,
        // and its allocation goes to this thread's spares.
        let Some(unique) = Arc::get_mut(&mut self) else {
            if let Some(record) = self.lock().finish(end) {
                let shared = match &self.pipeline {
                    Some(pipeline) => pipeline.shared(),
                    None => global(),
                };
                submit(shared, record, None);
            }
            return;
        };
        // Moved out, not cloned: a count on a line other threads share.
        // Dropped last, after the span is buffered.
        let pipeline = unique.pipeline.take();
        unique.trace_state = TraceState::new();
        let live = live_of(&mut unique.state);
        let record = live.recording.then(|| live.finish_leaving(end));
        if record.is_none() {
            // Unsampled: what it holds goes now, not when it is reused.
            *live = LiveSpan::NOOP;
        }
        let shared = match &pipeline {
            Some(pipeline) => pipeline.shared(),
            None => global(),
        };
        match record {
            Some(record) => submit(shared, record, Some(self)),
            None => super::thread::with_thread(|stack| stack.spare_shared.keep(self)),
        }
    }
}

/// Buffers `record` for `shared` (showing it to open test captures; with
/// no pipeline, they alone see it), and keeps `spare` for the thread's
/// next shared span; during thread teardown, in the stand-in stack.
fn submit(shared: Option<&Arc<Shared>>, record: RawSpan, spare: Option<Arc<SharedSpan>>) {
    match shared {
        Some(shared) => super::thread::with_thread(|stack| {
            stack.buffers.submit_built(shared, || record);
            stack.spare_shared.keep_some(spare);
        }),
        None => {
            crate::observe::show(&record);
            if spare.is_some() {
                super::thread::with_thread(|stack| stack.spare_shared.keep_some(spare));
            }
        }
    }
}

/// The allocations of finished shared spans a thread keeps for its next
/// ones: a builder's span then costs no allocation and no free, and its
/// memory is warm. Each is the only reference to its span, emptied.
pub(crate) struct SpareShared(Vec<Arc<SharedSpan>>);

/// Spare shared spans a thread keeps at most.
const MAX_SPARE_SHARED: usize = 64;

impl SpareShared {
    pub(crate) const fn new() -> SpareShared {
        SpareShared(Vec::new())
    }

    /// `live` shared, in a spare allocation when there is one.
    pub(crate) fn share(
        &mut self,
        live: LiveSpan,
        pipeline: Option<Arc<Pipeline>>,
        max_tag_len: usize,
    ) -> Arc<SharedSpan> {
        let span = SharedSpan::new(live, pipeline, max_tag_len);
        match self.0.pop() {
            Some(spare) => {
                debug_assert_eq!(Arc::strong_count(&spare), 1);
                // SAFETY: a spare is the only reference to its span: it
                // was when kept (`Arc::get_mut` said so), and nothing can
                // make another from it since, as no `Weak` of a shared
                // span is ever made. So it may be written as if owned
                // (`Arc::get_mut` would say the same at the cost of an
                // atomic read-modify-write).
                unsafe { *Arc::as_ptr(&spare).cast_mut() = span };
                spare
            }
            None => Arc::new(span),
        }
    }

    /// Keeps `spare`, which [`finish_at_stamp`](SharedSpan::finish_at_stamp)
    /// emptied, if there is room.
    fn keep(&mut self, spare: Arc<SharedSpan>) {
        if self.0.len() < MAX_SPARE_SHARED {
            self.0.push(spare);
        }
    }

    #[inline]
    fn keep_some(&mut self, spare: Option<Arc<SharedSpan>>) {
        if let Some(spare) = spare {
            self.keep(spare);
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.0.len()
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
