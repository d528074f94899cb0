//! The count of open bridged spans, against `max_open_spans`, without one
//! cache line that every thread making spans writes twice a span.
//!
//! The count is kept in shards, one per thread (threads beyond the
//! shards share them). A span counts on the shard of the thread that
//! opens it and leaves the count from the shard of the thread that
//! closes it, so a shard may go below zero; the sum is the count. While
//! no shard is past its share of the limit (the limit divided by the
//! shards), the sum cannot be past the limit, and a thread opens a span
//! touching its own shard alone. Past it, a thread sums the shards to
//! check the limit, takes over what other shards owe (their negative
//! counts: spans opened on one thread and closed on another would keep
//! it past its share otherwise), and says whether a shard is still past
//! its share, which sends every thread to the sum until none is.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering};

/// Shards of a count: enough that a service's worker threads rarely
/// share one.
const SHARDS: usize = 16;

/// A shard on a cache line of its own (128 bytes: some CPUs fetch lines
/// in pairs).
#[repr(align(128))]
#[derive(Default)]
struct Shard(AtomicIsize);

/// A count of open spans kept in shards (see the module docs).
#[derive(Default)]
pub(crate) struct OpenCount {
    shards: [Shard; SHARDS],
    /// Whether a shard is past its share. Read by every opening, written
    /// only when it changes, so its line stays in every reader's cache.
    crowded: AtomicBool,
}

impl OpenCount {
    /// Counts a span opening, if fewer than `max` are open; says whether
    /// it did. Threads that race at the limit may find it reached a few
    /// spans early, or go a few past it.
    #[inline]
    pub(crate) fn try_open(&self, max: usize) -> bool {
        let own = &self.shards[shard_of_this_thread()];
        let count = own.0.fetch_add(1, Ordering::SeqCst) + 1;
        let share = (max / SHARDS) as isize;
        if count <= share && !self.crowded.load(Ordering::Relaxed) {
            return true;
        }
        self.open_past_share(own, max, share)
    }

    /// An opening past a share: what the other shards owe taken over by
    /// `own`, the limit checked against the sum, and whether a shard is
    /// still past its share said for the next openings.
    #[cold]
    fn open_past_share(&self, own: &Shard, max: usize, share: isize) -> bool {
        for shard in &self.shards {
            let owed = shard.0.load(Ordering::SeqCst);
            if owed < 0 && !std::ptr::eq(shard, own) {
                // Moved, not reset: the sum stays the count.
                shard.0.fetch_add(-owed, Ordering::SeqCst);
                own.0.fetch_sub(-owed, Ordering::SeqCst);
            }
        }
        let within = self.sum() <= max as isize;
        if !within {
            own.0.fetch_sub(1, Ordering::SeqCst);
        }
        let crowded = !within
            || self
                .shards
                .iter()
                .any(|shard| shard.0.load(Ordering::SeqCst) > share);
        if self.crowded.load(Ordering::Relaxed) != crowded {
            self.crowded.store(crowded, Ordering::Relaxed);
        }
        within
    }

    /// Counts a span that was counted open closing.
    #[inline]
    pub(crate) fn close(&self) {
        self.shards[shard_of_this_thread()]
            .0
            .fetch_sub(1, Ordering::SeqCst);
    }

    /// The spans open now.
    pub(crate) fn get(&self) -> usize {
        self.sum().max(0) as usize
    }

    fn sum(&self) -> isize {
        self.shards
            .iter()
            .map(|shard| shard.0.load(Ordering::SeqCst))
            .sum()
    }
}

/// This thread's shard: threads take them in turn as they first count.
fn shard_of_this_thread() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SHARD: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    SHARD
        .try_with(|shard| {
            if shard.get() == usize::MAX {
                shard.set(NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS);
            }
            shard.get()
        })
        // A thread tearing down its thread-locals counts on the first.
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_thread_counts_exactly_up_to_the_limit() {
        let count = OpenCount::default();
        let admitted = (0..1_000).filter(|_| count.try_open(300)).count();
        assert_eq!((admitted, count.get()), (300, 300));
        for _ in 0..300 {
            count.close();
        }
        assert_eq!(count.get(), 0);
        assert!(count.try_open(300));
    }

    #[test]
    fn threads_together_count_up_to_the_limit_and_no_further() {
        let count = &OpenCount::default();
        let max = 1_000;
        let admitted: usize = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..8)
                .map(|_| scope.spawn(move || (0..400).filter(|_| count.try_open(max)).count()))
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).sum()
        });
        // Racing threads may stop a few short of the limit, or a few past.
        assert!((990..=1_008).contains(&admitted), "{admitted} admitted");
        assert_eq!(count.get(), admitted);
    }

    #[test]
    fn spans_opened_on_one_thread_and_closed_on_another_keep_the_count() {
        let count = &OpenCount::default();
        let max = 100_000;
        std::thread::scope(|scope| {
            // In step: each span is closed before the next opens, so how
            // far the shards drift apart depends on the count alone, not
            // on how far the closing thread lags.
            let (opened, closing) = std::sync::mpsc::sync_channel::<()>(0);
            scope.spawn(move || {
                for _ in 0..20_000 {
                    assert!(count.try_open(max));
                    opened.send(()).unwrap();
                }
            });
            scope.spawn(move || {
                for () in closing {
                    count.close();
                }
            });
        });
        assert_eq!(count.get(), 0);
        // The opening thread's shard was kept near zero by taking over
        // what the closing thread's owed.
        let past_share = count
            .shards
            .iter()
            .filter(|shard| shard.0.load(Ordering::SeqCst).abs() > 2 * (max / SHARDS) as isize)
            .count();
        assert_eq!(past_share, 0);
        let admitted = (0..200_000).filter(|_| count.try_open(max)).count();
        assert_eq!(admitted, max);
    }
}
