//! The thread's side of the pipeline: finishing a span writes it into the
//! current chunk of this thread's lane for the tracer's pipeline and
//! publishes it, touching no shared state a lock guards. From there the
//! exporter thread takes it (within the schedule delay, whatever this
//! thread does next), or the thread queues the chunk itself when it is full
//! and when the thread exits.

use std::mem::MaybeUninit;
use std::sync::Arc;

use crate::export::Shared;
use crate::export::chunk::Chunk;
use crate::export::lane::Lane;
use crate::export::raw::RawSpan;
use crate::live::LiveSpan;
use crate::local::extras::{restore_spare_extras, take_spare_extras};

/// This thread's lane for one pipeline.
struct LocalLane {
    shared: Arc<Shared>,
    lane: Arc<Lane>,
    /// The chunk this thread writes into, which the lane shares with the
    /// exporter thread (it takes published spans from there); this thread
    /// is its only writer.
    chunk: Arc<Chunk>,
    /// Spans written into `chunk`.
    written: usize,
    capacity: usize,
}

impl LocalLane {
    fn new(shared: &Arc<Shared>) -> LocalLane {
        let (lane, chunk) = shared.open_lane();
        lane.set_current(chunk.clone());
        LocalLane {
            shared: shared.clone(),
            lane,
            capacity: chunk.capacity(),
            chunk,
            written: 0,
        }
    }

    /// Publishes the span `write` stores into the next slot, showing it to
    /// open test captures first.
    ///
    /// # Safety
    ///
    /// `write` initialises the slot whole.
    #[inline(always)]
    unsafe fn push_written(&mut self, write: impl FnOnce(&mut MaybeUninit<RawSpan>)) {
        Lane::bump(&self.lane.finished);
        // SAFETY: this thread is the chunk's only writer, and `written`
        // counts what it published; the caller's `write` fills the slot,
        // so it may be read before it is published.
        unsafe {
            self.chunk.push_written(
                self.written,
                #[inline(always)]
                |slot| {
                    write(slot);
                    crate::observe::show(slot.assume_init_ref());
                },
            );
        }
        self.written += 1;
        if self.written == self.capacity {
            self.seal();
        }
    }

    /// Queues the full chunk and starts an empty one.
    #[cold]
    #[inline(never)]
    fn seal(&mut self) {
        // The lane lets go of it first, so the queue holds the only other
        // reference: once exported, the chunk can be emptied and reused.
        drop(self.lane.take_current());
        let mut extras = take_spare_extras();
        self.shared.enqueue(&mut self.chunk, &mut extras);
        restore_spare_extras(extras);
        self.capacity = self.chunk.capacity();
        self.written = 0;
        self.lane.set_current(self.chunk.clone());
    }

    /// Queues what the lane still holds and closes it: the thread is done.
    fn close(self) {
        drop(self.lane.take_current());
        self.shared.close_lane(&self.lane, self.chunk);
    }
}

/// One thread's lanes, one per pipeline it finished spans for. They live
/// in the thread's engine state (`STACK`, see `thread.rs`), so finishing a span
/// touches one thread-local.
pub(crate) struct Buffers {
    lanes: Vec<LocalLane>,
}

impl Buffers {
    pub(crate) const fn new() -> Buffers {
        Buffers { lanes: Vec::new() }
    }

    /// This thread's lane for `shared`, opened on first use.
    #[inline(always)]
    fn lane(&mut self, shared: &Arc<Shared>) -> &mut LocalLane {
        // Most threads trace for one tracer: its lane is the first.
        if self
            .lanes
            .first()
            .is_some_and(|l| Arc::ptr_eq(&l.shared, shared))
        {
            return &mut self.lanes[0];
        }
        self.other_lane(shared)
    }

    /// The lane for `shared` when it is not the first.
    #[inline(never)]
    fn other_lane(&mut self, shared: &Arc<Shared>) -> &mut LocalLane {
        match self
            .lanes
            .iter()
            .position(|l| Arc::ptr_eq(&l.shared, shared))
        {
            Some(index) => &mut self.lanes[index],
            None => self.open(shared),
        }
    }

    #[cold]
    fn open(&mut self, shared: &Arc<Shared>) -> &mut LocalLane {
        // Lanes of pipelines that were shut down go first: their tracers
        // are gone and will not come back.
        let (closed, open): (Vec<_>, Vec<_>) = std::mem::take(&mut self.lanes)
            .into_iter()
            .partition(|l| l.shared.is_shut_down());
        self.lanes = open;
        closed.into_iter().for_each(LocalLane::close);
        self.lanes.push(LocalLane::new(shared));
        let last = self.lanes.len() - 1;
        &mut self.lanes[last]
    }

    /// Counts a sampled span started on this thread.
    #[inline(always)]
    pub(crate) fn started(&mut self, shared: &Arc<Shared>) {
        Lane::bump(&self.lane(shared).lane.started);
    }

    /// Buffers the span `build` makes (showing it to open test captures);
    /// it is built only once its slot has been found, so it is written
    /// straight there.
    #[inline(always)]
    pub(crate) fn submit_built(&mut self, shared: &Arc<Shared>, build: impl FnOnce() -> RawSpan) {
        // SAFETY: the slot is written whole.
        unsafe {
            self.lane(shared).push_written(|slot| {
                slot.write(build());
            });
        }
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
            Some(shared) => self.submit_built(shared, || live.finish_leaving(end)),
            None => crate::observe::show(&live.finish_leaving(end)),
        }
    }

    /// Ends the recording span at `live` at `end`, moving it field by field
    /// into its slot, and buffers it for `shared`.
    ///
    /// # Safety
    ///
    /// `live` points to a span this thread owns and no longer holds
    /// anywhere else: it is moved out, and must not be used or dropped
    /// afterwards.
    #[inline(always)]
    pub(crate) unsafe fn submit_moved(
        &mut self,
        shared: &Arc<Shared>,
        live: *mut LiveSpan,
        end: u64,
    ) {
        // SAFETY: passed on from the caller; `move_out` fills the slot.
        unsafe {
            self.lane(shared).push_written(
                #[inline(always)]
                |slot| LiveSpan::move_out(live, end, slot),
            );
        }
    }
}

impl Drop for Buffers {
    /// A thread that exits queues what its lanes hold and closes them.
    fn drop(&mut self) {
        self.lanes.drain(..).for_each(LocalLane::close);
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use crate::Tracer;
    use crate::export::Memory;

    #[test]
    fn a_full_chunk_is_queued_and_an_exiting_thread_queues_the_rest() {
        let tracer = Tracer::builder()
            .exporter(Memory::new())
            .batch(crate::BatchConfig {
                schedule_delay: Duration::from_secs(3600),
                ..crate::BatchConfig::default()
            })
            .build();
        let per_chunk = crate::BatchConfig::default().thread_buffer_size() as u64;
        let (done, exit) = std::sync::mpsc::channel::<()>();
        let (made, was_made) = std::sync::mpsc::channel::<()>();
        let thread = {
            let tracer = tracer.clone();
            std::thread::spawn(move || {
                for _ in 0..per_chunk + 44 {
                    tracer.span("s").start().finish();
                }
                made.send(()).unwrap();
                let _ = exit.recv();
            })
        };
        was_made.recv().unwrap();
        let stats = tracer.stats();
        assert_eq!(
            (stats.queued, stats.buffered, stats.threads),
            (per_chunk, 44, 1)
        );
        done.send(()).unwrap();
        thread.join().unwrap();
        let stats = tracer.stats();
        assert_eq!(
            (stats.queued, stats.buffered, stats.threads),
            (per_chunk + 44, 0, 0)
        );
    }

    fn lanes_on_this_thread() -> usize {
        crate::local::with_thread(|stack| stack.buffers.lanes.len())
    }

    #[test]
    fn lanes_of_dropped_tracers_go_when_the_thread_uses_another() {
        std::thread::spawn(|| {
            for _ in 0..50 {
                let tracer = Tracer::builder().exporter(Memory::new()).build();
                tracer.span("short-lived").start().finish();
            }
            // The dropped tracers' exporter threads end on their own time.
            let deadline = Instant::now() + Duration::from_secs(10);
            let keep = Tracer::builder().exporter(Memory::new()).build();
            loop {
                let other = Tracer::builder().exporter(Memory::new()).build();
                other.span("next").start().finish();
                keep.span("kept").start().finish();
                if lanes_on_this_thread() <= 3 || Instant::now() > deadline {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            assert!(
                lanes_on_this_thread() <= 3,
                "{} lanes",
                lanes_on_this_thread()
            );
        })
        .join()
        .unwrap();
    }
}
