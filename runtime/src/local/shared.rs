//! A span whose state may be reached from several threads: a [`Span`]
//! from the builder, which scopes make active on any thread, and which the
//! scope stack holds while it is.
//!
//! [`Span`]: crate::Span

use std::sync::atomic::{AtomicBool, Ordering, fence};
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
    /// Set as the span finishes while other references to it remain, so
    /// that they tell it finished without the lock (with no other
    /// reference, nothing is left to tell).
    finished: AtomicBool,
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
    /// A span with nothing in it yet, for the start engine to write into.
    fn empty() -> SharedSpan {
        SharedSpan {
            trace_id: TraceId::INVALID,
            span_id: SpanId::PLACEHOLDER,
            sampled: false,
            random_trace_id: false,
            has_baggage: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            trace_state: TraceState::new(),
            pipeline: None,
            max_tag_len: 0,
            state: Mutex::new(LiveSpan::NOOP),
        }
    }

    /// Copies out of the state the start engine wrote what is read
    /// without the lock, and takes the tracer's settings.
    fn started(&mut self, pipeline: Option<Arc<Pipeline>>, max_tag_len: usize) {
        let live = live_of(&mut self.state);
        self.trace_id = live.trace_id;
        self.span_id = live.span_id;
        self.sampled = live.sampled;
        self.random_trace_id = live.random_trace_id;
        *self.has_baggage.get_mut() = !live.baggage.is_empty();
        *self.finished.get_mut() = false;
        self.trace_state = live.trace_state.clone();
        self.pipeline = pipeline;
        self.max_tag_len = max_tag_len;
    }

    pub(crate) fn trace_id(&self) -> TraceId {
        self.trace_id
    }

    pub(crate) fn is_sampled(&self) -> bool {
        self.sampled
    }

    /// Whether what is set now is kept: sampled and not finished. Read
    /// without the lock.
    pub(crate) fn is_recording(&self) -> bool {
        self.sampled && !self.finished.load(Ordering::Acquire)
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
}

/// A reference to a shared span: an `Arc` that never leaves this type, so
/// no `Weak` of a shared span is ever made, and one strong reference is
/// then the only way to its span (which [`unique`](Self::unique) tests
/// with a load, where `Arc::get_mut` takes an atomic read-modify-write).
#[derive(Clone)]
pub(crate) struct SharedRef(Arc<SharedSpan>);

impl std::ops::Deref for SharedRef {
    type Target = SharedSpan;

    #[inline(always)]
    fn deref(&self) -> &SharedSpan {
        &self.0
    }
}

impl SharedRef {
    #[cfg(test)]
    pub(crate) fn as_ptr(&self) -> *const SharedSpan {
        Arc::as_ptr(&self.0)
    }

    /// The span, owned, when this is its only reference.
    #[inline]
    fn unique(&mut self) -> Option<&mut SharedSpan> {
        if Arc::strong_count(&self.0) != 1 {
            return None;
        }
        // What the threads that dropped the other references did to the
        // span (their drop is a release) happened before what follows.
        fence(Ordering::Acquire);
        // SAFETY: this is the one strong reference, and there is no `Weak`
        // (none can be made: the `Arc` is private to this type), so nothing
        // else reaches the span and no other reference can appear while
        // the borrow of `self` lasts.
        Some(unsafe { &mut *Arc::as_ptr(&self.0).cast_mut() })
    }

    /// Starts a span in this allocation (a spare or a new one, which no
    /// other reference reaches): `write` writes its state in place, and
    /// the span takes the tracer's `pipeline` and `max_tag_len`.
    pub(crate) fn start_with(
        &mut self,
        pipeline: Option<Arc<Pipeline>>,
        max_tag_len: usize,
        write: impl FnOnce(&mut LiveSpan),
    ) {
        if self.unique().is_none() {
            // Never so: a spare, like a new span, is its only reference.
            // Were it so, the span would take a new allocation.
            *self = SharedRef(Arc::new(SharedSpan::empty()));
        }
        if let Some(owned) = self.unique() {
            write(live_of(&mut owned.state));
            owned.started(pipeline, max_tag_len);
        }
    }

    /// Finishes the span at `end`; `global` gives the global tracer's
    /// pipeline, for a span of that tracer.
    pub(crate) fn finish_at_stamp<'a>(
        mut self,
        end: u64,
        global: impl FnOnce() -> Option<&'a Arc<Shared>>,
    ) {
        // The owner usually holds the only reference: then no lock is
        // taken, what the span owns moves out rather than being cloned,
        // and its allocation goes to this thread's spares.
        let Some(unique) = self.unique() else {
            let record = self.lock().finish(end);
            self.finished.store(true, Ordering::Release);
            if let Some(record) = record {
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
fn submit(shared: Option<&Arc<Shared>>, record: RawSpan, spare: Option<SharedRef>) {
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
pub(crate) struct SpareShared(Vec<SharedRef>);

/// Spare shared spans a thread keeps at most.
const MAX_SPARE_SHARED: usize = 64;

impl SpareShared {
    pub(crate) const fn new() -> SpareShared {
        SpareShared(Vec::new())
    }

    /// An allocation to start a shared span in (see
    /// [`SharedRef::start_with`]): a spare when there is one.
    pub(crate) fn take(&mut self) -> SharedRef {
        self.0
            .pop()
            .unwrap_or_else(|| SharedRef(Arc::new(SharedSpan::empty())))
    }

    /// Keeps `spare`, which [`finish_at_stamp`](SharedRef::finish_at_stamp)
    /// emptied, if there is room.
    fn keep(&mut self, spare: SharedRef) {
        if self.0.len() < MAX_SPARE_SHARED {
            self.0.push(spare);
        }
    }

    #[inline]
    fn keep_some(&mut self, spare: Option<SharedRef>) {
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
