//! Per-thread span buffers: finishing a span appends to this thread's
//! buffer, touching no shared state. A buffer moves to its pipeline's queue
//! when it is full, when its oldest span has waited a schedule delay, when
//! the thread has no active span left (a trace segment ended), when the
//! thread calls `flush`, and when the thread exits.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::pipeline::Shared;
use super::raw::{RawSpan, restore_spare_extras, take_spare_extras};
use crate::live::LiveSpan;

/// Spans one thread buffers at most before handing them over.
pub(crate) const MAX_LOCAL_SPANS: usize = 256;

/// Started and finished spans of one thread for one pipeline. Only the
/// owning thread writes, so a plain load and store is enough (no
/// read-modify-write on a shared cache line).
#[derive(Default)]
pub(crate) struct ThreadCounters {
    started: AtomicU64,
    finished: AtomicU64,
}

impl ThreadCounters {
    #[inline(always)]
    fn bump(counter: &AtomicU64) {
        counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }

    /// Sums (started, finished) over every thread that ever used a pipeline.
    pub(super) fn sum(threads: &Mutex<Vec<Arc<ThreadCounters>>>) -> (u64, u64) {
        let threads = threads.lock().unwrap_or_else(|p| p.into_inner());
        threads.iter().fold((0, 0), |(s, f), c| {
            (
                s + c.started.load(Ordering::Relaxed),
                f + c.finished.load(Ordering::Relaxed),
            )
        })
    }
}

struct Buffer {
    shared: Arc<Shared>,
    spans: Vec<RawSpan>,
    /// When the oldest buffered span ended (a clock stamp).
    oldest_end: u64,
    counters: Arc<ThreadCounters>,
}

impl Buffer {
    fn hand_over(&mut self) -> usize {
        let spans = std::mem::take(&mut self.spans);
        let count = spans.len();
        let mut extras = take_spare_extras();
        self.spans = self.shared.enqueue(spans, &mut extras);
        restore_spare_extras(extras);
        count
    }
}

/// One thread's buffers, one per pipeline it finished spans for. They live
/// in the thread's scope state ([`crate::scope`]), so finishing a span
/// touches one thread-local.
pub(crate) struct Buffers {
    buffers: Vec<Buffer>,
    /// Spans buffered over all pipelines: lets the idle check skip the scan.
    pending: usize,
}

impl Buffers {
    pub(crate) const fn new() -> Buffers {
        Buffers {
            buffers: Vec::new(),
            pending: 0,
        }
    }

    /// This thread's buffer for `shared`, created on first use.
    #[inline]
    fn buffer(&mut self, shared: &Arc<Shared>) -> &mut Buffer {
        match self
            .buffers
            .iter()
            .position(|b| Arc::ptr_eq(&b.shared, shared))
        {
            Some(index) => &mut self.buffers[index],
            None => self.add(shared),
        }
    }

    #[cold]
    fn add(&mut self, shared: &Arc<Shared>) -> &mut Buffer {
        let counters = Arc::new(ThreadCounters::default());
        shared
            .threads
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(counters.clone());
        self.buffers.push(Buffer {
            shared: shared.clone(),
            spans: Vec::new(),
            oldest_end: 0,
            counters,
        });
        let last = self.buffers.len() - 1;
        &mut self.buffers[last]
    }

    /// Counts a sampled span started on this thread.
    #[inline]
    pub(crate) fn started(&mut self, shared: &Arc<Shared>) {
        ThreadCounters::bump(&self.buffer(shared).counters.started);
    }

    /// Buffers a finished span (showing it to open test captures). The
    /// caller calls [`idle`](Self::idle) when no span is active on this
    /// thread any more.
    #[inline(always)]
    pub(crate) fn submit(&mut self, shared: &Arc<Shared>, span: RawSpan) {
        let end = span.end;
        self.submit_built(shared, end, || span);
    }

    /// Buffers the span `build` makes, which ended at `end`; it is built
    /// only once its buffer has been found, so it is written straight into
    /// its slot (see [`crate::in_place`]).
    #[inline(always)]
    pub(crate) fn submit_built(
        &mut self,
        shared: &Arc<Shared>,
        end: u64,
        build: impl FnOnce() -> RawSpan,
    ) {
        let delay = shared.schedule_delay_units;
        let buffer = self.buffer(shared);
        ThreadCounters::bump(&buffer.counters.finished);
        if buffer.spans.is_empty() {
            buffer.oldest_end = end;
        }
        let aged = end.saturating_sub(buffer.oldest_end) >= delay;
        crate::in_place::push_in_place(&mut buffer.spans, build());
        if let Some(span) = buffer.spans.last() {
            crate::testing::offer(span);
        }
        let handed_over = if aged || buffer.spans.len() >= MAX_LOCAL_SPANS {
            buffer.hand_over()
        } else {
            0
        };
        self.pending = self.pending + 1 - handed_over;
    }

    /// Ends the recording span `live` at `end` (moving out what it owns,
    /// see [`LiveSpan::finish_leaving`]) and buffers it for `pipeline`;
    /// with no pipeline, open test captures alone see it.
    #[inline(always)]
    pub(crate) fn submit_leaving(
        &mut self,
        live: &mut LiveSpan,
        end: u64,
        pipeline: Option<&Arc<Shared>>,
    ) {
        match pipeline {
            Some(shared) => self.submit_built(shared, end, || live.finish_leaving(end)),
            None => crate::testing::offer(&live.finish_leaving(end)),
        }
    }

    /// Hands over every buffered span, for every pipeline.
    pub(crate) fn hand_over_all(&mut self) {
        for buffer in &mut self.buffers {
            if !buffer.spans.is_empty() {
                buffer.hand_over();
            }
        }
        self.pending = 0;
    }

    /// Called when this thread's scope stack became empty: the trace
    /// segment is complete, so every buffered span goes.
    #[inline]
    pub(crate) fn idle(&mut self) {
        if self.pending > 0 {
            self.hand_over_all();
        }
    }
}

impl Drop for Buffers {
    /// A thread that exits hands its spans over first.
    fn drop(&mut self) {
        self.hand_over_all();
    }
}

/// Buffers a finished span of this thread (showing it to open test
/// captures).
pub(crate) fn submit(shared: &Arc<Shared>, span: RawSpan) {
    let mut span = Some(span);
    crate::scope::with_buffers(|buffers, idle| {
        if let Some(span) = span.take() {
            buffers.submit(shared, span);
            if idle {
                buffers.idle();
            }
        }
    });
    // During thread teardown the buffers are gone: hand the span over alone.
    if let Some(span) = span {
        crate::testing::offer(&span);
        shared.enqueue(vec![span], &mut Vec::new());
    }
}

/// Hands over every span this thread buffered, for every pipeline.
pub(crate) fn hand_over_all() {
    crate::scope::with_buffers(|buffers, _| buffers.hand_over_all());
}
