//! A lane: what one thread shares with the exporter thread for one
//! pipeline. It holds the thread's current chunk, from which the exporter
//! takes published spans under the lane's lock, and the thread's counters.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::chunk::Chunk;
use super::raw::RawSpan;

pub(crate) struct Lane {
    /// The chunk the thread writes into; `None` while it swaps chunks.
    /// The lock keeps readers apart, and keeps the thread from taking the
    /// chunk away while the exporter reads from it; the thread's writes
    /// into it take no lock.
    current: Mutex<Option<Arc<Chunk>>>,
    /// Sampled spans the thread started and finished. Only the thread
    /// writes them, so a plain load and store is enough (no
    /// read-modify-write on a shared cache line).
    pub(crate) started: AtomicU64,
    pub(crate) finished: AtomicU64,
}

impl Lane {
    pub(crate) fn new() -> Lane {
        Lane {
            current: Mutex::new(None),
            started: AtomicU64::new(0),
            finished: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<Arc<Chunk>>> {
        self.current.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds one to a counter of this lane; only its thread calls it.
    #[inline(always)]
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }

    /// Moves the spans the thread published and nobody took yet out of the
    /// current chunk, handing each to `each`; returns how many.
    pub(crate) fn harvest(&self, each: impl FnMut(RawSpan)) -> usize {
        match &*self.lock() {
            // SAFETY: readers of a lane's chunk hold the lane's lock.
            Some(chunk) => unsafe { chunk.take_published(each) },
            None => 0,
        }
    }

    /// Spans published and not taken yet.
    pub(crate) fn pending(&self) -> usize {
        self.lock().as_deref().map_or(0, Chunk::pending)
    }

    /// Takes the current chunk off the lane (the thread stops writing to it).
    pub(crate) fn take_current(&self) -> Option<Arc<Chunk>> {
        self.lock().take()
    }

    pub(crate) fn set_current(&self, chunk: Arc<Chunk>) {
        *self.lock() = Some(chunk);
    }

    /// (started, finished).
    pub(crate) fn counts(&self) -> (u64, u64) {
        (
            self.started.load(Ordering::Relaxed),
            self.finished.load(Ordering::Relaxed),
        )
    }
}
