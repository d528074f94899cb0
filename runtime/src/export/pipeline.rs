//! The batch pipeline's shared state: each thread writes finished spans
//! into its lane ([`local`](crate::local)), full chunks move into one
//! bounded queue, and one exporter thread ([`worker`](super::worker))
//! drains the queue in batches and, every schedule delay, takes what the
//! lanes published meanwhile, so no finished span waits on what its thread
//! does next.

#![allow(
    clippy::vec_box,
    reason = "an extra box moves whole between a span and the pools, never reallocated"
)]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::chunk::Chunk;
use super::lane::Lane;
use super::stats::{FlushError, TracerStats};
use super::warnings::{Problem, Warnings};
use super::worker::Worker;
use super::{BatchConfig, Exporter};
use crate::extra::{Extra, MAX_THREAD_EXTRAS};
use crate::resource::Resource;

/// What producers and the exporter thread share.
pub(crate) struct Shared {
    pub(super) config: BatchConfig,
    state: Mutex<State>,
    lanes: Mutex<Lanes>,
    /// Wakes the exporter thread.
    pub(super) work: Condvar,
    /// Wakes flushers when a flush round completes.
    pub(super) done: Condvar,
    pub(super) exported: AtomicU64,
    dropped_queue_full: AtomicU64,
    pub(super) dropped_export_failed: AtomicU64,
    pub(super) export_errors: AtomicU64,
    /// Drops counted when the last flush completed.
    dropped_at_last_flush: AtomicU64,
    pub(super) warnings: Warnings,
    /// A chunk nobody writes into: a thread's current chunk for the moment
    /// its full one is queued (see `enqueue`).
    placeholder: Arc<Chunk>,
}

pub(super) struct State {
    /// Full chunks, oldest first.
    pub(super) queue: VecDeque<Arc<Chunk>>,
    /// Emptied chunks kept for reuse, so a thread's next chunk allocates
    /// nothing; handed out oldest first (see `take_spare`).
    pub(super) spare: VecDeque<Arc<Chunk>>,
    /// Emptied extra boxes the exporter thread gave back, for producers.
    pub(super) spare_extras: VecDeque<Box<Extra>>,
    /// Spans in `queue`.
    pub(super) queued: usize,
    /// What the exporter thread is doing: whether a producer should wake
    /// it.
    pub(super) exporter: Sleep,
    /// Flush rounds asked for and completed.
    pub(super) flush_requested: u64,
    pub(super) flush_completed: u64,
    pub(super) shutdown: bool,
    /// No exporter thread runs (it could not start, or it ended).
    pub(super) stopped: bool,
}

impl State {
    /// The spare chunk emptied longest ago: the exporter thread read the
    /// newest just now, and its lines may still be in that core's first
    /// cache level, from where a writer on another core would have to
    /// take each one (see `read_once::read_soon`).
    pub(super) fn take_spare(&mut self) -> Option<Arc<Chunk>> {
        self.spare.pop_front()
    }
}

/// What the exporter thread is doing, as producers see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Sleep {
    /// Working, or woken already: no one wakes it.
    Awake,
    /// Napping between batches while spans flow fast: it looks again by
    /// itself, and is woken only when the queue is half full. Waking a
    /// sleeping thread is a system call that costs the producer tens of
    /// microseconds on some virtual machines, once per batch otherwise.
    Napping,
    /// Waiting for a full batch, a flush or the time to look at the lanes.
    Waiting,
}

/// The lanes of the threads that use the pipeline, and what the closed
/// ones counted.
#[derive(Default)]
pub(super) struct Lanes {
    pub(super) open: Vec<Arc<Lane>>,
    closed_started: u64,
    closed_finished: u64,
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn lanes(&self) -> MutexGuard<'_, Lanes> {
        self.lanes.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Spans one chunk holds: a thread buffers at most this many.
    fn chunk_capacity(&self) -> usize {
        self.config.thread_buffer_size()
    }

    /// Whether the exporter thread has ended (or never started).
    pub(crate) fn is_shut_down(&self) -> bool {
        self.lock().stopped
    }

    /// Opens a lane for the calling thread, with an empty chunk for it.
    pub(crate) fn open_lane(&self) -> (Arc<Lane>, Arc<Chunk>) {
        let lane = Arc::new(Lane::new());
        self.lanes().open.push(lane.clone());
        let chunk = self.lock().take_spare();
        (lane, chunk.unwrap_or_else(|| self.new_chunk()))
    }

    pub(super) fn new_chunk(&self) -> Arc<Chunk> {
        Arc::new(Chunk::new(self.chunk_capacity()))
    }

    /// Closes a thread's lane: what it still holds (`rest`) is queued, and
    /// its counters are kept.
    pub(crate) fn close_lane(&self, lane: &Arc<Lane>, rest: Arc<Chunk>) {
        if rest.pending() > 0 {
            self.push_full(rest);
        } else {
            self.recycle_chunk(rest);
        }
        let mut lanes = self.lanes();
        if let Some(index) = lanes.open.iter().position(|l| Arc::ptr_eq(l, lane)) {
            lanes.open.swap_remove(index);
            let (started, finished) = lane.counts();
            lanes.closed_started += started;
            lanes.closed_finished += finished;
        }
    }

    /// Queues a thread's full chunk, `current`, and puts an empty one in
    /// its place to write into next; tops up the thread's pool of extra
    /// boxes.
    pub(crate) fn enqueue(&self, current: &mut Arc<Chunk>, extras: &mut Vec<Box<Extra>>) {
        // A placeholder stands in while the full chunk is queued: the
        // queue must hold the only reference, or it cannot be reused.
        let full = std::mem::replace(current, Arc::clone(&self.placeholder));
        let (evicted, spare) = self.queue_chunk(full, Some(extras));
        *current = match (spare, self.drop_evicted(evicted)) {
            (Some(spare), Some(emptied)) => {
                self.recycle_chunk(emptied);
                spare
            }
            (Some(chunk), None) | (None, Some(chunk)) => chunk,
            (None, None) => self.new_chunk(),
        };
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
                state.take_spare()
            });
            // The exporter is woken once, when it sleeps: a wake is a
            // system call, and producers queue far more often.
            let batch = self.config.max_export_batch_size;
            let wake = match state.exporter {
                Sleep::Awake => false,
                Sleep::Napping => state.queued >= batch.max(self.config.max_queue_size / 2),
                Sleep::Waiting => state.queued >= batch,
            };
            if wake {
                state.exporter = Sleep::Awake;
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
            self.warnings.report(Problem::QueueFull, || {
                format!(
                    "the export queue is full ({} spans); dropping the oldest spans",
                    self.config.max_queue_size
                )
            });
        }
        reusable
    }

    /// Keeps an emptied chunk of the pipeline's size for reuse (a bounded
    /// number of them).
    pub(super) fn recycle_chunk(&self, mut chunk: Arc<Chunk>) {
        let Some(only) = Arc::get_mut(&mut chunk) else {
            return;
        };
        only.clear();
        if only.capacity() == self.chunk_capacity() {
            let mut state = self.lock();
            if state.spare.len() < MAX_SPARE_CHUNKS {
                state.spare.push_back(chunk);
            }
        }
    }

    /// Tops up a thread's pool of extra boxes with those the exporter gave
    /// back.
    pub(crate) fn top_up_extras(&self, pool: &mut Vec<Box<Extra>>) {
        top_up(&mut self.lock().spare_extras, pool);
    }

    /// Waits until every span finished before the call was exported; says
    /// how many spans were dropped since the last flush completed.
    fn flush(&self, timeout: Duration) -> Result<(), FlushError> {
        self.wait_flushed(timeout)?;
        let dropped = self.dropped_queue_full.load(Ordering::Relaxed)
            + self.dropped_export_failed.load(Ordering::Relaxed);
        let before = self.dropped_at_last_flush.swap(dropped, Ordering::Relaxed);
        match dropped.saturating_sub(before) {
            0 => Ok(()),
            spans => Err(FlushError::Dropped { spans }),
        }
    }

    fn wait_flushed(&self, timeout: Duration) -> Result<(), FlushError> {
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
        let (started, finished, buffered, threads) = {
            let lanes = self.lanes();
            let (started, finished, buffered) = lanes.open.iter().fold(
                (lanes.closed_started, lanes.closed_finished, 0),
                |(s, f, b), lane| {
                    let (started, finished) = lane.counts();
                    (s + started, f + finished, b + lane.pending() as u64)
                },
            );
            (started, finished, buffered, lanes.open.len() as u64)
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
            threads,
            malformed_contexts: 0,
        }
    }
}

/// Moves spare extra boxes into a thread's pool, up to its size.
/// The oldest go first: the exporter thread emptied the newest just now,
/// and a producer writing into them would first take their lines from
/// that core (see `read_once::read_soon`).
fn top_up(spare: &mut VecDeque<Box<Extra>>, pool: &mut Vec<Box<Extra>>) {
    let wanted = MAX_THREAD_EXTRAS
        .saturating_sub(pool.len())
        .min(spare.len());
    // Oldest last in the pool, which hands out from its end.
    pool.splice(0..0, spare.drain(..wanted).rev());
}

/// Emptied chunks kept for reuse at most.
const MAX_SPARE_CHUNKS: usize = 64;

/// Emptied extra boxes kept for producers at most: as many as the queue
/// holds spans (so the boxes of a whole queue can circulate), capped.
pub(super) fn max_spare_extras(config: &BatchConfig) -> usize {
    config.max_queue_size.min(1 << 15)
}

/// A tracer's pipeline; with no exporter it records nothing.
pub(crate) struct Pipeline {
    shared: Option<Arc<Shared>>,
}

impl Pipeline {
    /// A pipeline to `exporters`, told `resource` before they see a span;
    /// with `scrub`, string values are scrubbed before export.
    pub(crate) fn new(
        mut exporters: Vec<Box<dyn Exporter>>,
        config: BatchConfig,
        resource: &Resource,
        scrub: bool,
    ) -> Pipeline {
        if exporters.is_empty() {
            return Pipeline { shared: None };
        }
        for exporter in &mut exporters {
            exporter.set_resource(resource);
        }
        let shared = Arc::new(Shared {
            config: config.normalized(),
            state: Mutex::new(State {
                queue: VecDeque::new(),
                spare: VecDeque::new(),
                spare_extras: VecDeque::new(),
                queued: 0,
                exporter: Sleep::Awake,
                flush_requested: 0,
                flush_completed: 0,
                shutdown: false,
                stopped: false,
            }),
            lanes: Mutex::new(Lanes::default()),
            work: Condvar::new(),
            done: Condvar::new(),
            exported: AtomicU64::new(0),
            dropped_queue_full: AtomicU64::new(0),
            dropped_export_failed: AtomicU64::new(0),
            export_errors: AtomicU64::new(0),
            dropped_at_last_flush: AtomicU64::new(0),
            warnings: Warnings::default(),
            placeholder: Arc::new(Chunk::new(1)),
        });
        let worker = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("tracekit-export".into())
            .spawn(move || Worker::new(worker, exporters, scrub).run());
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

    /// Exports everything finished so far, on any thread; waits at most
    /// `timeout`.
    pub(crate) fn flush(&self, timeout: Duration) -> Result<(), FlushError> {
        match &self.shared {
            Some(shared) => shared.flush(timeout),
            None => Ok(()),
        }
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
