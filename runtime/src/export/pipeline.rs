//! The batch pipeline: finished spans gather in per-thread buffers
//! ([`local`](super::local)), whole buffers move into one bounded queue, and
//! one exporter thread drains the queue in batches by size and age.

#![allow(
    clippy::vec_box,
    reason = "an extra box moves whole between a span and the pools, never reallocated"
)]

use std::collections::VecDeque;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::local::MAX_LOCAL_SPANS;
use super::raw::{Extra, MAX_THREAD_EXTRAS, RawSpan};
use super::{BatchConfig, ExportError, Exporter};
use crate::record::SpanRecord;

/// Counters of a tracer's pipeline, read with [`Tracer::stats`](crate::Tracer::stats).
///
/// Every sampled span that finished is, at any moment, exported, dropped,
/// or still on its way: `spans_finished == spans_exported + dropped() +
/// in flight`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TracerStats {
    /// Sampled spans started.
    pub spans_started: u64,
    /// Sampled spans finished.
    pub spans_finished: u64,
    /// Spans the exporters accepted.
    pub spans_exported: u64,
    /// Spans dropped because the queue was full (the oldest go first).
    pub dropped_queue_full: u64,
    /// Spans dropped because an export failed.
    pub dropped_export_failed: u64,
    /// Export calls that failed (or panicked).
    pub export_errors: u64,
    /// Spans waiting in the queue now (at most the configured queue size).
    pub queued: u64,
    /// Malformed propagation values ignored by `extract` in this process.
    pub malformed_contexts: u64,
}

impl TracerStats {
    /// All dropped spans, whatever the reason.
    pub fn dropped(&self) -> u64 {
        self.dropped_queue_full + self.dropped_export_failed
    }
}

/// Why a flush did not complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlushError {
    /// The exporters did not take everything within the timeout.
    TimedOut,
}

impl fmt::Display for FlushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlushError::TimedOut => f.write_str("flush timed out before every span was exported"),
        }
    }
}

impl std::error::Error for FlushError {}

/// What producers and the exporter thread share.
pub(crate) struct Shared {
    pub(super) config: BatchConfig,
    /// The schedule delay in raw clock units, as buffers compare stamps.
    pub(super) schedule_delay_units: u64,
    state: Mutex<State>,
    /// Wakes the exporter thread.
    work: Condvar,
    /// Wakes flushers when a flush round completes.
    done: Condvar,
    exported: AtomicU64,
    dropped_queue_full: AtomicU64,
    dropped_export_failed: AtomicU64,
    export_errors: AtomicU64,
    warned: AtomicBool,
    /// Per-thread counters of started and finished spans, summed by `stats`.
    pub(super) threads: Mutex<Vec<Arc<super::local::ThreadCounters>>>,
}

struct State {
    /// Handed-over buffers, oldest first.
    queue: VecDeque<Vec<RawSpan>>,
    /// Emptied buffers kept for reuse, so handing over allocates nothing.
    spare: Vec<Vec<RawSpan>>,
    /// Emptied extra boxes the exporter thread gave back, for producers.
    spare_extras: Vec<Box<Extra>>,
    /// Spans in `queue`.
    queued: usize,
    /// The exporter thread waits for work (and no producer woke it yet).
    exporter_waiting: bool,
    /// Flush rounds asked for and completed.
    flush_requested: u64,
    flush_completed: u64,
    shutdown: bool,
    /// No exporter thread runs (it could not start, or it ended).
    stopped: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes a buffer of finished spans, dropping the oldest spans when the
    /// queue would overflow, and gives back an empty buffer to fill next (a
    /// reused one when there is one), under one lock. Also tops up the
    /// producer's pool of extra boxes.
    pub(crate) fn enqueue(
        &self,
        mut batch: Vec<RawSpan>,
        extras: &mut Vec<Box<Extra>>,
    ) -> Vec<RawSpan> {
        if batch.is_empty() {
            return batch;
        }
        let mut dropped = 0;
        let (notify, next) = {
            let mut guard = self.lock();
            let state = &mut *guard;
            if state.stopped {
                dropped = batch.len();
                batch.clear();
            }
            while !batch.is_empty() && state.queued + batch.len() > self.config.max_queue_size {
                match state.queue.front_mut() {
                    Some(oldest) => {
                        let excess = (state.queued + batch.len() - self.config.max_queue_size)
                            .min(oldest.len());
                        oldest.drain(..excess);
                        state.queued -= excess;
                        dropped += excess;
                        if oldest.is_empty() {
                            state.queue.pop_front();
                        }
                    }
                    None => {
                        // The batch alone is larger than the queue: keep its newest part.
                        let excess = batch.len() - self.config.max_queue_size;
                        batch.drain(..excess);
                        dropped += excess;
                    }
                }
            }
            state.queued += batch.len();
            let next = match state.queue.back_mut() {
                _ if batch.is_empty() => batch,
                // A few spans (from a thread that went idle, usually) join
                // the newest queued buffer when they fit: queued memory
                // stays in proportion to queued spans, and the producer
                // keeps its buffer. More are worth a buffer of their own
                // rather than a copy under the lock.
                Some(back)
                    if batch.len() <= MAX_JOINING_SPANS
                        && back.capacity() - back.len() >= batch.len() =>
                {
                    back.append(&mut batch);
                    batch
                }
                _ => {
                    state.queue.push_back(batch);
                    state
                        .spare
                        .pop()
                        .unwrap_or_else(|| Vec::with_capacity(MAX_LOCAL_SPANS))
                }
            };
            let wanted = MAX_THREAD_EXTRAS.saturating_sub(extras.len());
            let from = state.spare_extras.len().saturating_sub(wanted);
            extras.extend(state.spare_extras.drain(from..));
            // The exporter is woken once, when it waits: a wake is a
            // system call, and producers hand over far more often.
            let wake = state.exporter_waiting && state.queued >= self.config.max_export_batch_size;
            if wake {
                state.exporter_waiting = false;
            }
            (wake, next)
        };
        if dropped > 0 {
            self.dropped_queue_full
                .fetch_add(dropped as u64, Ordering::Relaxed);
            self.warn_once(&format!(
                "the export queue is full ({} spans); dropping the oldest spans",
                self.config.max_queue_size
            ));
        }
        if notify {
            self.work.notify_one();
        }
        next
    }

    /// Keeps an exported batch's buffers, and the extra boxes it carried,
    /// for reuse.
    fn recycle(&self, parts: &mut Vec<Vec<RawSpan>>, extras: &mut Vec<Box<Extra>>) {
        let mut state = self.lock();
        for buffer in parts.drain(..) {
            keep_spare(&mut state.spare, buffer);
        }
        let room = max_spare_extras(&self.config).saturating_sub(state.spare_extras.len());
        // `RawSpan::fill` emptied them; the rest are let go.
        state.spare_extras.extend(extras.drain(..).take(room));
    }

    /// Dropping or failing is never silent: the first occurrence is told.
    fn warn_once(&self, what: &str) {
        if !self.warned.swap(true, Ordering::Relaxed) {
            eprintln!("tracekit: {what} (counted in Tracer::stats; not repeated)");
        }
    }

    /// Waits until every span enqueued before the call was exported.
    fn flush(&self, timeout: Duration) -> Result<(), FlushError> {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        state.flush_requested += 1;
        let ticket = state.flush_requested;
        self.work.notify_one();
        while state.flush_completed < ticket && !state.stopped {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(FlushError::TimedOut);
            }
            state = self
                .done
                .wait_timeout(state, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        Ok(())
    }

    fn stats(&self) -> TracerStats {
        let (started, finished) = super::local::ThreadCounters::sum(&self.threads);
        TracerStats {
            spans_started: started,
            spans_finished: finished,
            spans_exported: self.exported.load(Ordering::Relaxed),
            dropped_queue_full: self.dropped_queue_full.load(Ordering::Relaxed),
            dropped_export_failed: self.dropped_export_failed.load(Ordering::Relaxed),
            export_errors: self.export_errors.load(Ordering::Relaxed),
            queued: self.lock().queued as u64,
            malformed_contexts: 0,
        }
    }
}

/// Spans a hand-over copies into the newest queued buffer at most.
const MAX_JOINING_SPANS: usize = MAX_LOCAL_SPANS / 8;

/// Emptied buffers kept for reuse at most (each holds a thread's batch).
const MAX_SPARE_BUFFERS: usize = 64;

/// Emptied extra boxes kept for producers at most: as many as the queue
/// holds spans (so the boxes of a whole queue can circulate), capped.
fn max_spare_extras(config: &BatchConfig) -> usize {
    config.max_queue_size.min(1 << 15)
}

/// Keeps an emptied buffer of a thread's size for reuse (a bounded number
/// of them); vectors of any other size are let go.
fn keep_spare(spare: &mut Vec<Vec<RawSpan>>, mut buffer: Vec<RawSpan>) {
    buffer.clear();
    if spare.len() < MAX_SPARE_BUFFERS && (1..=MAX_LOCAL_SPANS).contains(&buffer.capacity()) {
        spare.push(buffer);
    }
}

/// A tracer's pipeline; with no exporter it records nothing.
pub(crate) struct Pipeline {
    shared: Option<Arc<Shared>>,
}

impl Pipeline {
    pub(crate) fn new(exporters: Vec<Box<dyn Exporter>>, config: BatchConfig) -> Pipeline {
        if exporters.is_empty() {
            return Pipeline { shared: None };
        }
        let config = config.normalized();
        let shared = Arc::new(Shared {
            schedule_delay_units: crate::clock::units_in(config.schedule_delay),
            config,
            state: Mutex::new(State {
                queue: VecDeque::new(),
                spare: Vec::new(),
                spare_extras: Vec::new(),
                queued: 0,
                exporter_waiting: false,
                flush_requested: 0,
                flush_completed: 0,
                shutdown: false,
                stopped: false,
            }),
            work: Condvar::new(),
            done: Condvar::new(),
            exported: AtomicU64::new(0),
            dropped_queue_full: AtomicU64::new(0),
            dropped_export_failed: AtomicU64::new(0),
            export_errors: AtomicU64::new(0),
            warned: AtomicBool::new(false),
            threads: Mutex::new(Vec::new()),
        });
        let worker = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("tracekit-export".into())
            .spawn(move || Worker::new(worker, exporters).run());
        if let Err(err) = spawned {
            eprintln!("tracekit: cannot start the export thread ({err}); spans will be dropped");
            shared.lock().stopped = true;
        }
        Pipeline {
            shared: Some(shared),
        }
    }

    pub(crate) fn shared(&self) -> Option<&Arc<Shared>> {
        self.shared.as_ref()
    }

    /// Exports everything finished so far on this thread or handed over by
    /// others; waits at most `timeout`.
    pub(crate) fn flush(&self, timeout: Duration) -> Result<(), FlushError> {
        let Some(shared) = &self.shared else {
            return Ok(());
        };
        super::local::hand_over_all();
        shared.flush(timeout)
    }

    pub(crate) fn default_timeout(&self) -> Duration {
        self.shared
            .as_ref()
            .map_or(Duration::ZERO, |s| s.config.export_timeout)
    }

    pub(crate) fn stats(&self) -> TracerStats {
        self.shared.as_ref().map(|s| s.stats()).unwrap_or_default()
    }
}

impl Drop for Pipeline {
    /// The exporter thread drains what is queued, then ends.
    fn drop(&mut self) {
        if let Some(shared) = &self.shared {
            super::local::hand_over_all();
            shared.lock().shutdown = true;
            shared.work.notify_one();
        }
    }
}

/// The exporter thread.
struct Worker {
    shared: Arc<Shared>,
    exporters: Vec<Box<dyn Exporter>>,
    last_export: Instant,
    /// The public records of the batch being exported, overwritten batch
    /// after batch so their tag vectors are reused.
    records: Vec<SpanRecord>,
    /// Extra boxes emptied by the conversion, to give back.
    extras: Vec<Box<Extra>>,
    /// The handed-over buffers making up the batch being exported: read
    /// where they are, not merged into one vector first.
    parts: Vec<Vec<RawSpan>>,
}

impl Worker {
    fn new(shared: Arc<Shared>, exporters: Vec<Box<dyn Exporter>>) -> Self {
        Worker {
            shared,
            exporters,
            last_export: Instant::now(),
            records: Vec::new(),
            extras: Vec::new(),
            parts: Vec::new(),
        }
    }

    fn run(mut self) {
        loop {
            let (flush_round, shutdown) = self.next_batch();
            let count: usize = self.parts.iter().map(Vec::len).sum();
            if count > 0 {
                self.export(count);
            }
            self.shared.recycle(&mut self.parts, &mut self.extras);
            if let Some(round) = flush_round {
                self.flush_exporters();
                self.shared.lock().flush_completed = round;
                self.shared.done.notify_all();
            }
            if shutdown {
                self.flush_exporters();
                let mut state = self.shared.lock();
                state.stopped = true;
                state.flush_completed = state.flush_requested;
                self.shared.done.notify_all();
                return;
            }
        }
    }

    /// Waits for work, then takes up to one batch into `parts`. Says
    /// whether a flush round ends with this batch and whether to stop.
    fn next_batch(&mut self) -> (Option<u64>, bool) {
        let config = &self.shared.config;
        let mut state = self.shared.lock();
        loop {
            let flushing = state.flush_requested > state.flush_completed;
            let due = state.queued > 0 && self.last_export.elapsed() >= config.schedule_delay;
            if state.queued >= config.max_export_batch_size || due || flushing || state.shutdown {
                break;
            }
            let wait = if state.queued > 0 {
                config
                    .schedule_delay
                    .saturating_sub(self.last_export.elapsed())
            } else {
                config.schedule_delay
            };
            state.exporter_waiting = true;
            state = self
                .shared
                .work
                .wait_timeout(state, wait)
                .unwrap_or_else(|p| p.into_inner())
                .0;
            state.exporter_waiting = false;
        }
        // Whole handed-over buffers, as many as fit in one batch; a buffer
        // larger than a batch is split.
        let max = config.max_export_batch_size;
        let mut total = 0;
        while let Some(front) = state.queue.front()
            && total + front.len() <= max
        {
            total += front.len();
            self.parts.extend(state.queue.pop_front());
        }
        if self.parts.is_empty()
            && let Some(front) = state.queue.front_mut()
        {
            let part: Vec<RawSpan> = front.drain(..max.min(front.len())).collect();
            total = part.len();
            self.parts.push(part);
        }
        state.queued -= total;
        let drained = state.queued == 0;
        let flush_round = (drained && state.flush_requested > state.flush_completed)
            .then_some(state.flush_requested);
        let shutdown = drained && state.shutdown;
        (flush_round, shutdown)
    }

    /// Converts the batch to public records (wall time, owned fields) and
    /// gives it to every exporter.
    fn export(&mut self, count: usize) {
        self.last_export = Instant::now();
        if self.records.len() < count {
            self.records.resize_with(count, super::raw::empty_record);
        }
        // Each span is moved out of its buffer, which is only read: the
        // producer that refills the buffer then finds its memory unwritten
        // by this thread.
        let clock = crate::clock::WallClock::current();
        let mut records = self.records.iter_mut();
        for part in &mut self.parts {
            for (span, record) in part.drain(..).zip(&mut records) {
                self.extras.extend(span.fill(record, &clock));
            }
        }
        let records = &self.records[..count];
        let mut failed = false;
        for exporter in &mut self.exporters {
            let result = catch_unwind(AssertUnwindSafe(|| exporter.export(records)))
                .unwrap_or_else(|_| Err(ExportError::Backend("the exporter panicked".into())));
            if let Err(err) = result {
                failed = true;
                self.shared.export_errors.fetch_add(1, Ordering::Relaxed);
                self.shared.warn_once(&err.to_string());
            }
        }
        let counter = if failed {
            &self.shared.dropped_export_failed
        } else {
            &self.shared.exported
        };
        counter.fetch_add(count as u64, Ordering::Relaxed);
    }

    fn flush_exporters(&mut self) {
        for exporter in &mut self.exporters {
            let result = catch_unwind(AssertUnwindSafe(|| exporter.flush()))
                .unwrap_or_else(|_| Err(ExportError::Backend("the exporter panicked".into())));
            if let Err(err) = result {
                self.shared.export_errors.fetch_add(1, Ordering::Relaxed);
                self.shared.warn_once(&err.to_string());
            }
        }
    }
}
