//! The batch pipeline: each thread writes finished spans into its lane
//! ([`local`](super::local)), full chunks move into one bounded queue, and
//! one exporter thread drains the queue in batches and, every schedule
//! delay, takes what the lanes published meanwhile, so no finished span
//! waits on what its thread does next.

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

use super::chunk::Chunk;
use super::lane::Lane;
use super::raw::{Extra, MAX_THREAD_EXTRAS, RawSpan, restore_spare_extras, take_spare_extras};
use super::{BatchConfig, ExportError, Exporter};
use crate::record::SpanRecord;

/// Counters of a tracer's pipeline, read with [`Tracer::stats`](crate::Tracer::stats).
///
/// Every sampled span that finished is, at any moment, exported, dropped,
/// or still on its way: `spans_finished == spans_exported + dropped() +
/// in flight`, where the spans in flight are `queued`, `buffered`, and
/// those in the batch being exported.
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
    /// Spans finished and still in their thread's buffer, which the
    /// exporter takes within the schedule delay (at most
    /// [`BatchConfig::thread_buffer_size`] per thread).
    pub buffered: u64,
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

/// The longest the exporter sleeps when nothing was pending at its last
/// look, whatever the schedule delay: a span finished then waits at most
/// this long (or the schedule delay, if longer) to be taken. Ten looks a
/// second cost an idle process nothing measurable.
pub(crate) const IDLE_LOOK_INTERVAL: Duration = Duration::from_millis(100);

/// The shortest time between two looks at the lanes, so that a schedule
/// delay of zero does not make the exporter spin.
const MIN_LOOK_INTERVAL: Duration = Duration::from_millis(5);

/// What producers and the exporter thread share.
pub(crate) struct Shared {
    pub(super) config: BatchConfig,
    state: Mutex<State>,
    lanes: Mutex<Lanes>,
    /// Wakes the exporter thread.
    work: Condvar,
    /// Wakes flushers when a flush round completes.
    done: Condvar,
    /// Set once the exporter thread has ended (or never started).
    shut_down: AtomicBool,
    exported: AtomicU64,
    dropped_queue_full: AtomicU64,
    dropped_export_failed: AtomicU64,
    export_errors: AtomicU64,
    warned: AtomicBool,
}

struct State {
    /// Full chunks, oldest first.
    queue: VecDeque<Arc<Chunk>>,
    /// Emptied chunks kept for reuse, so a thread's next chunk allocates
    /// nothing.
    spare: Vec<Arc<Chunk>>,
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

/// The lanes of the threads that use the pipeline, and what the closed
/// ones counted.
#[derive(Default)]
struct Lanes {
    open: Vec<Arc<Lane>>,
    closed_started: u64,
    closed_finished: u64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lanes(&self) -> MutexGuard<'_, Lanes> {
        self.lanes.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Spans one chunk holds: a thread buffers at most this many.
    fn chunk_capacity(&self) -> usize {
        self.config.thread_buffer_size()
    }

    pub(crate) fn is_shut_down(&self) -> bool {
        self.shut_down.load(Ordering::Acquire)
    }

    /// Opens a lane for the calling thread, with an empty chunk for it.
    pub(crate) fn open_lane(&self) -> (Arc<Lane>, Arc<Chunk>) {
        let lane = Arc::new(Lane::new());
        self.lanes().open.push(lane.clone());
        let chunk = self.lock().spare.pop();
        (lane, chunk.unwrap_or_else(|| self.new_chunk()))
    }

    fn new_chunk(&self) -> Arc<Chunk> {
        Arc::new(Chunk::new(self.chunk_capacity()))
    }

    /// Closes a thread's lane: what it still holds (`rest`) is queued, and
    /// its counters are kept.
    pub(crate) fn close_lane(&self, lane: &Arc<Lane>, rest: Option<Arc<Chunk>>) {
        if let Some(rest) = rest {
            if rest.pending() > 0 {
                self.push_full(rest);
            } else {
                self.recycle_chunk(rest);
            }
        }
        let mut lanes = self.lanes();
        if let Some(index) = lanes.open.iter().position(|l| Arc::ptr_eq(l, lane)) {
            lanes.open.swap_remove(index);
            let (started, finished) = lane.counts();
            lanes.closed_started += started;
            lanes.closed_finished += finished;
        }
    }

    /// Queues a span alone: one finished while its thread was torn down.
    pub(crate) fn enqueue_alone(&self, span: RawSpan) {
        let chunk = Chunk::new(1);
        // SAFETY: the chunk is new and this thread its only writer.
        unsafe { chunk.push(0, || span) };
        self.lanes().closed_finished += 1;
        self.push_full(Arc::new(chunk));
    }

    /// Queues a thread's full chunk and gives back an empty one to write
    /// into next; tops up the thread's pool of extra boxes.
    pub(crate) fn enqueue(
        &self,
        full: Option<Arc<Chunk>>,
        extras: &mut Vec<Box<Extra>>,
    ) -> Arc<Chunk> {
        let (evicted, spare) = match full {
            Some(full) => self.queue_chunk(full, Some(extras)),
            None => (Vec::new(), self.lock().spare.pop()),
        };
        match (spare, self.drop_evicted(evicted)) {
            (Some(spare), Some(emptied)) => {
                self.recycle_chunk(emptied);
                spare
            }
            (Some(chunk), None) | (None, Some(chunk)) => chunk,
            (None, None) => self.new_chunk(),
        }
    }

    /// Queues a chunk no thread writes into any more.
    fn push_full(&self, full: Arc<Chunk>) {
        let (evicted, _) = self.queue_chunk(full, None);
        if let Some(emptied) = self.drop_evicted(evicted) {
            self.recycle_chunk(emptied);
        }
    }

    /// Puts `full` at the back of the queue, evicting the oldest chunks
    /// when it would overflow (they are emptied later, outside the lock).
    /// For a producer that goes on writing (`extras`), takes a spare chunk
    /// and tops up its pool of extra boxes on the way.
    fn queue_chunk(
        &self,
        full: Arc<Chunk>,
        extras: Option<&mut Vec<Box<Extra>>>,
    ) -> (Vec<Arc<Chunk>>, Option<Arc<Chunk>>) {
        let pending = full.pending();
        let mut evicted = Vec::new();
        let (wake, spare) = {
            let mut guard = self.lock();
            let state = &mut *guard;
            if state.stopped {
                evicted.push(full);
            } else {
                while state.queued + pending > self.config.max_queue_size
                    && let Some(oldest) = state.queue.pop_front()
                {
                    state.queued -= oldest.pending();
                    evicted.push(oldest);
                }
                state.queued += pending;
                state.queue.push_back(full);
            }
            let spare = extras.map(|extras| {
                top_up(&mut state.spare_extras, extras);
                state.spare.pop()
            });
            // The exporter is woken once, when it waits: a wake is a
            // system call, and producers queue far more often.
            let wake = state.exporter_waiting && state.queued >= self.config.max_export_batch_size;
            if wake {
                state.exporter_waiting = false;
            }
            (wake, spare.flatten())
        };
        if wake {
            self.work.notify_one();
        }
        (evicted, spare)
    }

    /// Counts the spans of evicted chunks as dropped and empties them (off
    /// the queue's lock); returns one emptied chunk of the pipeline's size,
    /// for reuse.
    fn drop_evicted(&self, evicted: Vec<Arc<Chunk>>) -> Option<Arc<Chunk>> {
        let mut reusable = None;
        let mut dropped = 0;
        for mut chunk in evicted {
            match Arc::get_mut(&mut chunk) {
                Some(only) => {
                    dropped += only.clear();
                    if reusable.is_none() && only.capacity() == self.chunk_capacity() {
                        reusable = Some(chunk);
                    }
                }
                None => dropped += chunk.pending(),
            }
        }
        if dropped > 0 {
            self.dropped_queue_full
                .fetch_add(dropped as u64, Ordering::Relaxed);
            self.warn_once(&format!(
                "the export queue is full ({} spans); dropping the oldest spans",
                self.config.max_queue_size
            ));
        }
        reusable
    }

    /// Keeps an emptied chunk of the pipeline's size for reuse (a bounded
    /// number of them).
    fn recycle_chunk(&self, mut chunk: Arc<Chunk>) {
        let Some(only) = Arc::get_mut(&mut chunk) else {
            return;
        };
        only.clear();
        if only.capacity() == self.chunk_capacity() {
            let mut state = self.lock();
            if state.spare.len() < MAX_SPARE_CHUNKS {
                state.spare.push(chunk);
            }
        }
    }

    /// Tops up the calling thread's pool of extra boxes with those the
    /// exporter gave back.
    fn top_up_extras(&self) {
        let mut extras = take_spare_extras();
        top_up(&mut self.lock().spare_extras, &mut extras);
        restore_spare_extras(extras);
    }

    /// Dropping or failing is never silent: the first occurrence is told.
    fn warn_once(&self, what: &str) {
        if !self.warned.swap(true, Ordering::Relaxed) {
            eprintln!("tracekit: {what} (counted in Tracer::stats; not repeated)");
        }
    }

    /// Waits until every span finished before the call was exported.
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
        let (started, finished, buffered) = {
            let lanes = self.lanes();
            lanes.open.iter().fold(
                (lanes.closed_started, lanes.closed_finished, 0),
                |(s, f, b), lane| {
                    let (started, finished) = lane.counts();
                    (s + started, f + finished, b + lane.pending() as u64)
                },
            )
        };
        TracerStats {
            spans_started: started,
            spans_finished: finished,
            spans_exported: self.exported.load(Ordering::Relaxed),
            dropped_queue_full: self.dropped_queue_full.load(Ordering::Relaxed),
            dropped_export_failed: self.dropped_export_failed.load(Ordering::Relaxed),
            export_errors: self.export_errors.load(Ordering::Relaxed),
            queued: self.lock().queued as u64,
            buffered,
            malformed_contexts: 0,
        }
    }
}

/// Moves spare extra boxes into a thread's pool, up to its size.
fn top_up(spare: &mut Vec<Box<Extra>>, pool: &mut Vec<Box<Extra>>) {
    let wanted = MAX_THREAD_EXTRAS.saturating_sub(pool.len());
    let from = spare.len().saturating_sub(wanted);
    pool.extend(spare.drain(from..));
}

/// Emptied chunks kept for reuse at most.
const MAX_SPARE_CHUNKS: usize = 64;

/// Emptied extra boxes kept for producers at most: as many as the queue
/// holds spans (so the boxes of a whole queue can circulate), capped.
fn max_spare_extras(config: &BatchConfig) -> usize {
    config.max_queue_size.min(1 << 15)
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
        let shared = Arc::new(Shared {
            config: config.normalized(),
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
            lanes: Mutex::new(Lanes::default()),
            work: Condvar::new(),
            done: Condvar::new(),
            shut_down: AtomicBool::new(false),
            exported: AtomicU64::new(0),
            dropped_queue_full: AtomicU64::new(0),
            dropped_export_failed: AtomicU64::new(0),
            export_errors: AtomicU64::new(0),
            warned: AtomicBool::new(false),
        });
        let worker = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("tracekit-export".into())
            .spawn(move || Worker::new(worker, exporters).run());
        if let Err(err) = spawned {
            eprintln!("tracekit: cannot start the export thread ({err}); spans will be dropped");
            shared.lock().stopped = true;
            shared.shut_down.store(true, Ordering::Release);
        }
        Pipeline {
            shared: Some(shared),
        }
    }

    pub(crate) fn shared(&self) -> Option<&Arc<Shared>> {
        self.shared.as_ref()
    }

    /// Exports everything finished so far, on any thread; waits at most
    /// `timeout`. The calling thread's pool of extra boxes is topped up
    /// with those the export gave back.
    pub(crate) fn flush(&self, timeout: Duration) -> Result<(), FlushError> {
        let Some(shared) = &self.shared else {
            return Ok(());
        };
        let flushed = shared.flush(timeout);
        shared.top_up_extras();
        flushed
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
    /// The exporter thread takes what the lanes and the queue hold,
    /// exports it, then ends.
    fn drop(&mut self) {
        if let Some(shared) = &self.shared {
            shared.lock().shutdown = true;
            shared.work.notify_one();
        }
    }
}

/// Why the exporter thread woke.
struct Wake {
    /// The flush round to complete once everything found is exported.
    flush_round: Option<u64>,
    shutdown: bool,
    /// Time to look at the lanes (the schedule delay passed).
    due: bool,
}

/// The exporter thread.
struct Worker {
    shared: Arc<Shared>,
    exporters: Vec<Box<dyn Exporter>>,
    /// Chunks this thread owns, oldest first: taken off the queue, or
    /// filled with what it took from the lanes. Spans are read from them
    /// straight into the records of a batch.
    sources: VecDeque<Arc<Chunk>>,
    /// The public records of the batch being exported, overwritten batch
    /// after batch so their tag vectors are reused.
    records: Vec<SpanRecord>,
    /// Extra boxes emptied by the conversion, to give back.
    extras: Vec<Box<Extra>>,
    /// The open lanes, copied out of their lock for a look.
    lanes: Vec<Arc<Lane>>,
}

impl Worker {
    fn new(shared: Arc<Shared>, exporters: Vec<Box<dyn Exporter>>) -> Self {
        Worker {
            shared,
            exporters,
            sources: VecDeque::new(),
            records: Vec::new(),
            extras: Vec::new(),
            lanes: Vec::new(),
        }
    }

    /// Time between two looks at the lanes while spans flow.
    fn look_interval(&self) -> Duration {
        self.shared.config.schedule_delay.max(MIN_LOOK_INTERVAL)
    }

    fn run(mut self) {
        let mut next_look = Instant::now() + self.look_interval();
        loop {
            let wake = self.wait(next_look);
            let look = wake.due || wake.flush_round.is_some() || wake.shutdown;
            let mut found = 0;
            if look {
                found += self.take_from_lanes();
            }
            found += self.export_queued(look);
            if look {
                // Nothing anywhere: look again less often (the lanes are
                // read, not watched, so someone must look).
                let idle = found == 0 && self.shared.lock().queued == 0;
                let interval = if idle {
                    self.look_interval().max(IDLE_LOOK_INTERVAL)
                } else {
                    self.look_interval()
                };
                next_look = Instant::now() + interval;
            }
            if let Some(round) = wake.flush_round {
                self.flush_exporters();
                let mut state = self.shared.lock();
                state.flush_completed = state.flush_completed.max(round);
                drop(state);
                self.shared.done.notify_all();
            }
            if wake.shutdown {
                self.flush_exporters();
                let mut state = self.shared.lock();
                state.stopped = true;
                state.flush_completed = state.flush_requested;
                self.shared.shut_down.store(true, Ordering::Release);
                drop(state);
                self.shared.done.notify_all();
                return;
            }
        }
    }

    /// Waits until a flush, the shutdown, a full batch in the queue, or
    /// `next_look`.
    fn wait(&mut self, next_look: Instant) -> Wake {
        let batch = self.shared.config.max_export_batch_size;
        let mut state = self.shared.lock();
        loop {
            let flush_round =
                (state.flush_requested > state.flush_completed).then_some(state.flush_requested);
            let now = Instant::now();
            let due = now >= next_look;
            if flush_round.is_some() || state.shutdown || due || state.queued >= batch {
                return Wake {
                    flush_round,
                    shutdown: state.shutdown,
                    due,
                };
            }
            state.exporter_waiting = true;
            state = self
                .shared
                .work
                .wait_timeout(state, next_look - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
            state.exporter_waiting = false;
        }
    }

    /// Takes what every open lane published, into chunks of this thread's
    /// own at the back of `sources`.
    fn take_from_lanes(&mut self) -> usize {
        self.lanes.extend(self.shared.lanes().open.iter().cloned());
        let mut lanes = std::mem::take(&mut self.lanes);
        let taken = lanes
            .iter()
            .map(|lane| lane.harvest(|span| self.keep(span)))
            .sum();
        lanes.clear();
        self.lanes = lanes;
        taken
    }

    /// Appends a span taken from a lane to this thread's newest chunk, or
    /// to a fresh one when it is full.
    fn keep(&mut self, span: RawSpan) {
        if self.sources.back().is_none_or(|back| back.is_full()) {
            let spare = self.shared.lock().spare.pop();
            let chunk = spare.unwrap_or_else(|| self.shared.new_chunk());
            self.sources.push_back(chunk);
        }
        if let Some(back) = self.sources.back() {
            // SAFETY: chunks in `sources` belong to this thread alone.
            unsafe { back.append(|| span) };
        }
    }

    /// Spans in `sources`.
    fn in_hand(&self) -> usize {
        self.sources.iter().map(|chunk| chunk.pending()).sum()
    }

    /// Exports what this thread holds and the queued chunks, in batches:
    /// everything queued now when `drain`, else full batches while there
    /// are. Returns how many spans came from the queue.
    fn export_queued(&mut self, drain: bool) -> usize {
        let batch = self.shared.config.max_export_batch_size;
        let mut left = if drain { self.shared.lock().queued } else { 0 };
        let mut from_queue = 0;
        loop {
            if !drain && self.in_hand() + self.shared.lock().queued < batch {
                return from_queue;
            }
            if self.records.len() < batch {
                self.records.resize_with(batch, super::raw::empty_record);
            }
            let clock = crate::clock::WallClock::current();
            let mut count = 0;
            while count < batch {
                if self.sources.is_empty() {
                    let Some(chunk) = self.pop_chunk(&mut left) else {
                        break;
                    };
                    from_queue += chunk.pending();
                    self.sources.push_back(chunk);
                }
                let Some(front) = self.sources.front() else {
                    break;
                };
                let (records, extras) = (&mut self.records[count..batch], &mut self.extras);
                let mut records = records.iter_mut();
                // SAFETY: chunks in `sources` belong to this thread alone.
                count += unsafe {
                    front.take_up_to(batch - count, |span| {
                        if let Some(record) = records.next() {
                            extras.extend(span.fill(record, &clock));
                        }
                    })
                };
                if front.pending() == 0
                    && let Some(empty) = self.sources.pop_front()
                {
                    self.shared.recycle_chunk(empty);
                }
            }
            if count == 0 {
                return from_queue;
            }
            self.export(count);
        }
    }

    /// The oldest queued chunk, while `left` spans are still to take or a
    /// full batch is queued.
    fn pop_chunk(&self, left: &mut usize) -> Option<Arc<Chunk>> {
        let batch = self.shared.config.max_export_batch_size;
        let mut state = self.shared.lock();
        if *left == 0 && state.queued < batch {
            return None;
        }
        let chunk = state.queue.pop_front()?;
        let pending = chunk.pending();
        state.queued -= pending;
        *left = left.saturating_sub(pending);
        Some(chunk)
    }

    /// Gives the first `count` records, filled, to every exporter.
    fn export(&mut self, count: usize) {
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
        self.give_back_extras();
    }

    /// Gives the extra boxes emptied by the conversion back to producers
    /// (`RawSpan::fill` emptied them; the rest are let go).
    fn give_back_extras(&mut self) {
        if self.extras.is_empty() {
            return;
        }
        let mut state = self.shared.lock();
        let room = max_spare_extras(&self.shared.config).saturating_sub(state.spare_extras.len());
        state.spare_extras.extend(self.extras.drain(..).take(room));
        drop(state);
        self.extras.clear();
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
