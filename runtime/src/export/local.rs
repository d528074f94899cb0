//! Per-thread span buffers: finishing a span appends to this thread's
//! buffer, touching no shared state. A buffer moves to its pipeline's queue
//! when it is full, when its oldest span has waited a schedule delay, when
//! the thread has no active span left (a trace segment ended), when the
//! thread calls `flush`, and when the thread exits.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::pipeline::Shared;
use crate::record::SpanRecord;

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
    records: Vec<SpanRecord>,
    oldest_end: SystemTime,
    counters: Arc<ThreadCounters>,
}

impl Buffer {
    fn hand_over(&mut self) -> usize {
        let records = std::mem::take(&mut self.records);
        let count = records.len();
        self.records = self.shared.enqueue(records);
        count
    }
}

#[derive(Default)]
struct Local {
    buffers: Vec<Buffer>,
    /// Spans buffered over all pipelines: lets the idle check skip the scan.
    pending: usize,
}

impl Local {
    /// This thread's buffer for `shared`, created on first use.
    fn buffer(&mut self, shared: &Arc<Shared>) -> &mut Buffer {
        let index = match self
            .buffers
            .iter()
            .position(|b| Arc::ptr_eq(&b.shared, shared))
        {
            Some(index) => index,
            None => {
                let counters = Arc::new(ThreadCounters::default());
                shared
                    .threads
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(counters.clone());
                self.buffers.push(Buffer {
                    shared: shared.clone(),
                    records: Vec::new(),
                    oldest_end: SystemTime::UNIX_EPOCH,
                    counters,
                });
                self.buffers.len() - 1
            }
        };
        &mut self.buffers[index]
    }

    fn hand_over_all(&mut self) {
        for buffer in &mut self.buffers {
            if !buffer.records.is_empty() {
                buffer.hand_over();
            }
        }
        self.pending = 0;
    }
}

impl Drop for Local {
    /// A thread that exits hands its spans over first.
    fn drop(&mut self) {
        self.hand_over_all();
    }
}

thread_local! {
    static LOCAL: RefCell<Local> = RefCell::new(Local::default());
}

/// Runs `f` on this thread's buffers; `None` during thread teardown, when
/// they are gone (they were handed over as they went).
fn with_buffers<R>(f: impl FnOnce(&mut Local) -> R) -> Option<R> {
    LOCAL
        .try_with(|local| Some(f(&mut *local.try_borrow_mut().ok()?)))
        .ok()
        .flatten()
}

/// Counts a sampled span started on this thread.
pub(crate) fn span_started(shared: &Arc<Shared>) {
    with_buffers(|local| ThreadCounters::bump(&local.buffer(shared).counters.started));
}

/// Buffers a finished span; `thread_idle` says no span is active on this
/// thread any more, so the trace segment is complete.
pub(crate) fn submit(shared: &Arc<Shared>, record: SpanRecord, thread_idle: bool) {
    let mut record = Some(record);
    with_buffers(|local| {
        let Some(record) = record.take() else { return };
        let delay = shared.config.schedule_delay;
        let handed_over = {
            let buffer = local.buffer(shared);
            ThreadCounters::bump(&buffer.counters.finished);
            if buffer.records.is_empty() {
                buffer.oldest_end = record.end;
            }
            let aged = record
                .end
                .duration_since(buffer.oldest_end)
                .is_ok_and(|waited| waited >= delay);
            buffer.records.push(record);
            if thread_idle || aged || buffer.records.len() >= MAX_LOCAL_SPANS {
                buffer.hand_over()
            } else {
                0
            }
        };
        local.pending = local.pending + 1 - handed_over;
    });
    // During thread teardown the buffer is gone: hand the span over alone.
    if let Some(record) = record {
        shared.enqueue(vec![record]);
    }
}

/// Hands over every span this thread buffered, for every pipeline.
pub(crate) fn hand_over_all() {
    with_buffers(Local::hand_over_all);
}

/// Called when this thread's scope stack became empty.
pub(crate) fn thread_idle() {
    with_buffers(|local| {
        if local.pending > 0 {
            local.hand_over_all();
        }
    });
}
