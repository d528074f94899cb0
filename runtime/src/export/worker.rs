//! The exporter thread: it waits for a full batch, a flush, the shutdown
//! or the time to look at the lanes; takes what the lanes published and
//! the queued chunks; turns spans into records in batches; and hands each
//! batch to every exporter.

#![allow(
    clippy::vec_box,
    reason = "an extra box moves whole between a span and the pools, never reallocated"
)]

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::chunk::Chunk;
use super::lane::Lane;
use super::pipeline::{Shared, Sleep, max_spare_extras};
use super::raw::RawSpan;
use super::warnings::Problem;
use super::{ExportError, Exporter};
use crate::extra::Extra;
use crate::record::SpanRecord;

/// The longest the exporter sleeps when nothing was pending at its last
/// look, whatever the schedule delay: a span finished then waits at most
/// this long (or the schedule delay, if longer) to be taken. Ten looks a
/// second cost an idle process nothing measurable.
const IDLE_LOOK_INTERVAL: Duration = Duration::from_millis(100);

/// The shortest time between two looks at the lanes, so that a schedule
/// delay of zero does not make the exporter spin.
const MIN_LOOK_INTERVAL: Duration = Duration::from_millis(5);

/// How long the exporter naps between batches while spans flow (see
/// `Sleep::Napping`): short enough that the default queue does not fill
/// meanwhile at millions of spans a second.
const NAP: Duration = Duration::from_micros(250);

/// Naps without a full batch before the exporter waits to be woken again.
const NAPS: u32 = 16;

/// Batches found within this time of the one before come fast enough
/// for the exporter to nap between them, once two in a row did (one alone
/// may be a batch found late, just before the next). Slower, the
/// producers' one wake a batch costs less than the naps would: each nap
/// is a wake of the exporter thread, and at 16,000 spans a second the
/// sixteen naps a batch cost it about 0.8 µs a span (BENCHMARKS.md,
/// session 19).
const FAST_BATCHES: Duration = Duration::from_millis(4);

/// Why the exporter thread woke.
struct Wake {
    /// The flush round to complete once everything found is exported.
    flush_round: Option<u64>,
    shutdown: bool,
    /// Time to look at the lanes (the schedule delay passed).
    due: bool,
}

/// The exporter thread.
pub(super) struct Worker {
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
    /// Naps left before the exporter waits to be woken: set after a full
    /// batch that came fast, spent by naps that find none.
    naps_left: u32,
    /// When the last full batch was found, and how many in a row before it
    /// came fast (see [`FAST_BATCHES`]).
    last_full: Option<Instant>,
    fast_in_a_row: u32,
    /// Whether string values are scrubbed before export (see `scrub.rs`).
    scrub: bool,
}

impl Worker {
    pub(super) fn new(shared: Arc<Shared>, exporters: Vec<Box<dyn Exporter>>, scrub: bool) -> Self {
        Worker {
            scrub,
            shared,
            exporters,
            sources: VecDeque::new(),
            records: Vec::new(),
            extras: Vec::new(),
            lanes: Vec::new(),
            naps_left: 0,
            last_full: None,
            fast_in_a_row: 0,
        }
    }

    /// Time between two looks at the lanes while spans flow.
    fn look_interval(&self) -> Duration {
        self.shared.config.schedule_delay.max(MIN_LOOK_INTERVAL)
    }

    pub(super) fn run(mut self) {
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
            let full = state.queued >= batch;
            if full {
                // Spans flow fast: nap between the next batches.
                let fast = self
                    .last_full
                    .is_some_and(|last| now.duration_since(last) < FAST_BATCHES);
                self.fast_in_a_row = if fast {
                    self.fast_in_a_row.saturating_add(1)
                } else {
                    0
                };
                self.naps_left = if self.fast_in_a_row >= 2 { NAPS } else { 0 };
                self.last_full = Some(now);
            }
            if flush_round.is_some() || state.shutdown || due || full {
                return Wake {
                    flush_round,
                    shutdown: state.shutdown,
                    due,
                };
            }
            let (sleep, timeout) = if self.naps_left > 0 {
                self.naps_left -= 1;
                (Sleep::Napping, NAP.min(next_look - now))
            } else {
                (Sleep::Waiting, next_look - now)
            };
            state.exporter = sleep;
            state = self
                .shared
                .work
                .wait_timeout(state, timeout)
                .unwrap_or_else(|p| p.into_inner())
                .0;
            state.exporter = Sleep::Awake;
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
            let spare = self.shared.lock().take_spare();
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
                    empty.let_go();
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

    /// Gives the first `count` records, filled, to every exporter. The
    /// batch counts as exported but for what an exporter could not deliver:
    /// all of it when one failed, the spans a backend refused when one
    /// took only part of it.
    fn export(&mut self, count: usize) {
        if self.scrub {
            self.records[..count]
                .iter_mut()
                .for_each(super::scrub::record);
        }
        let records = &self.records[..count];
        let mut dropped = 0;
        for exporter in &mut self.exporters {
            let result = catch_unwind(AssertUnwindSafe(|| exporter.export(records)))
                .unwrap_or_else(|_| Err(ExportError::Backend("the exporter panicked".into())));
            let Err(err) = result else {
                continue;
            };
            dropped = match &err {
                ExportError::Rejected { spans, .. } => {
                    dropped.max(usize::try_from(*spans).unwrap_or(count).min(count))
                }
                _ => count,
            };
            self.shared.export_errors.fetch_add(1, Ordering::Relaxed);
            self.shared
                .warnings
                .report(Problem::ExportFailed, || err.to_string());
        }
        let dropped = dropped as u64;
        let exported = count as u64 - dropped;
        self.shared
            .dropped_export_failed
            .fetch_add(dropped, Ordering::Relaxed);
        self.shared.exported.fetch_add(exported, Ordering::Relaxed);
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
                self.shared
                    .warnings
                    .report(Problem::ExportFailed, || err.to_string());
            }
        }
    }
}
