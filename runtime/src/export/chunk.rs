//! A chunk: a fixed number of slots for finished spans that one thread
//! appends to while the exporter thread may take what it has appended so
//! far, without a lock between the two and without the writer's help.
//!
//! The writer is the one thread that owns the chunk as its current one. It
//! writes slot `n` and then publishes `n + 1` spans (a release store); it
//! never touches a published slot again. A reader loads the published count
//! (acquire), moves the spans out of the slots between `taken` and it, and
//! advances `taken`. Readers never overlap: they hold the lock of the lane
//! the chunk belongs to, or own the chunk outright once the writer has let
//! it go. So each span is written once and moved out at most once, and a
//! chunk's drop drops exactly the spans still in it: `taken..published`.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::raw::RawSpan;

/// How many spans ahead of the one it reads the reader fetches the next
/// (about 1.8 KB; of 2, 4 and 16, the best on the development VM).
const READ_AHEAD: usize = 16;

/// The bytes of one slot.
const SLOT_SIZE: usize = std::mem::size_of::<RawSpan>();

pub(crate) struct Chunk {
    /// Spans written; only the writer stores it.
    published: AtomicUsize,
    /// Spans moved out; only a reader (one at a time) stores it.
    taken: AtomicUsize,
    slots: Box<[UnsafeCell<MaybeUninit<RawSpan>>]>,
}

// SAFETY: a slot is written by the one writer before it is published and
// read by one reader after; the counters order the two (see the module
// docs). Sharing a chunk moves its spans from the writer's thread to the
// reader's, so they must be `Send`: the bound says it, and the compiler
// refuses this impl if `RawSpan` ever holds something that is not. (`Send`
// needs no impl: the slots are `Send` when `RawSpan` is.)
unsafe impl Sync for Chunk where RawSpan: Send {}

impl Chunk {
    /// An empty chunk of `capacity` slots (at least one).
    pub(crate) fn new(capacity: usize) -> Chunk {
        Chunk {
            published: AtomicUsize::new(0),
            taken: AtomicUsize::new(0),
            slots: (0..capacity.max(1))
                .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
                .collect(),
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Whether every slot was written.
    pub(crate) fn is_full(&self) -> bool {
        self.published.load(Ordering::Relaxed) == self.slots.len()
    }

    /// Spans published and not taken yet.
    pub(crate) fn pending(&self) -> usize {
        self.published.load(Ordering::Acquire) - self.taken.load(Ordering::Relaxed)
    }

    /// Writes the span `build` makes into slot `index` and publishes it.
    /// `build` runs after the slot is chosen, so the span is stored there
    /// directly rather than built elsewhere and copied.
    ///
    /// # Safety
    ///
    /// Only the chunk's one writer calls this, with `index` equal to the
    /// number of spans it published so far and below the capacity.
    #[inline(always)]
    pub(crate) unsafe fn push(&self, index: usize, build: impl FnOnce() -> RawSpan) {
        // SAFETY: passed on from the caller; `write` fills the slot.
        unsafe {
            self.push_written(index, |slot| {
                slot.write(build());
            });
        }
    }

    /// Lets `write` fill slot `index` where it lies, field by field, and
    /// publishes it: a span moved out of the scope stack is then stored
    /// once, not built on the stack and copied.
    ///
    /// # Safety
    ///
    /// As for [`push`](Self::push), and `write` initialises the slot
    /// whole. If `write` unwinds, the slot stays unpublished (what it
    /// wrote leaks; nothing is dropped twice).
    #[inline(always)]
    pub(crate) unsafe fn push_written(
        &self,
        index: usize,
        write: impl FnOnce(&mut MaybeUninit<RawSpan>),
    ) {
        debug_assert_eq!(index, self.published.load(Ordering::Relaxed));
        debug_assert!(index < self.slots.len());
        // SAFETY: the slot is past the published count, so no reader looks
        // at it, and the caller is the only writer.
        unsafe { write(&mut *self.slots.get_unchecked(index).get()) };
        self.published.store(index + 1, Ordering::Release);
    }

    /// Appends the span `build` makes after those published, if there is
    /// room; says whether there was.
    ///
    /// # Safety
    ///
    /// The caller is the chunk's only writer.
    pub(crate) unsafe fn append(&self, build: impl FnOnce() -> RawSpan) -> bool {
        let index = self.published.load(Ordering::Relaxed);
        if index == self.slots.len() {
            return false;
        }
        // SAFETY: the caller is the only writer, and `index` is the count
        // it published.
        unsafe { self.push(index, build) };
        true
    }

    /// Moves every published span not taken yet out of the chunk, in the
    /// order written, handing each to `each`.
    ///
    /// # Safety
    ///
    /// No other reader runs at the same time (the caller holds the chunk's
    /// lane lock, or owns the chunk).
    pub(crate) unsafe fn take_published(&self, each: impl FnMut(RawSpan)) -> usize {
        // SAFETY: passed on from the caller.
        unsafe { self.take_up_to(usize::MAX, each) }
    }

    /// Like [`take_published`](Self::take_published), `max` spans at most.
    ///
    /// # Safety
    ///
    /// As for [`take_published`](Self::take_published).
    pub(crate) unsafe fn take_up_to(&self, max: usize, mut each: impl FnMut(RawSpan)) -> usize {
        let published = self.published.load(Ordering::Acquire);
        let taken = self.taken.load(Ordering::Relaxed);
        let published = published.min(taken.saturating_add(max));
        for index in taken..published {
            self.read_soon(index + READ_AHEAD);
            // Marked taken before the span moves on, so a panic in `each`
            // cannot leave the slot to be dropped twice. A plain store:
            // no other reader runs.
            self.taken.store(index + 1, Ordering::Relaxed);
            // SAFETY: published slots are initialised and never written
            // again; `taken` said this one was not moved out before, and
            // no other reader runs.
            each(unsafe { (*self.slots[index].get()).assume_init_read() });
        }
        published - taken
    }

    /// Fetches slot `index`, if the chunk has it, ahead of its read, into
    /// this core's first cache level alone (see `read_once::read_soon`).
    #[inline(always)]
    fn read_soon(&self, index: usize) {
        if let Some(slot) = self.slots.get(index) {
            crate::read_once::read_soon(slot.get().cast_const().cast(), SLOT_SIZE);
        }
    }

    /// Evicts the slots' lines from every cache, once the exporter thread
    /// has read the chunk and before a producer writes it again (see
    /// `read_once::let_go`).
    pub(crate) fn let_go(&self) {
        crate::read_once::let_go(self.slots.as_ptr().cast(), self.slots.len() * SLOT_SIZE);
    }

    /// Drops the spans still in the chunk and makes it empty, for reuse by
    /// a new writer. Returns how many were dropped.
    pub(crate) fn clear(&mut self) -> usize {
        let dropped = self.drop_pending();
        *self.published.get_mut() = 0;
        *self.taken.get_mut() = 0;
        dropped
    }

    fn drop_pending(&mut self) -> usize {
        let (taken, published) = (*self.taken.get_mut(), *self.published.get_mut());
        for slot in &mut self.slots[taken..published] {
            // SAFETY: `&mut self`: no writer or reader is left, and the
            // slots between taken and published hold spans not moved out.
            unsafe { slot.get_mut().assume_init_drop() };
        }
        *self.taken.get_mut() = published;
        published - taken
    }
}

impl Drop for Chunk {
    fn drop(&mut self) {
        self.drop_pending();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;
    use std::sync::Arc;

    use crate::extra::Extra;
    use crate::identity::{SpanId, TraceId};
    use crate::record::SpanKind;

    fn span(n: u64) -> RawSpan {
        RawSpan {
            name: Cow::Owned(format!("span {n}")),
            trace_id: TraceId::from_u128(1),
            span_id: SpanId::new(n + 1).unwrap(),
            parent_id: None,
            parent_is_remote: false,
            random_trace_id: true,
            kind: SpanKind::Internal,
            trace_state: Default::default(),
            start: n,
            end: n,
            baggage: Default::default(),
            template: None,
            extra: Some(Box::new(Extra::default())),
        }
    }

    #[test]
    fn a_reader_takes_each_published_span_once_in_order() {
        let chunk = Chunk::new(4);
        let mut seen = Vec::new();
        unsafe {
            chunk.push(0, || span(0));
            chunk.push(1, || span(1));
            assert_eq!(chunk.take_published(|s| seen.push(s.start)), 2);
            assert_eq!(chunk.take_published(|s| seen.push(s.start)), 0);
            chunk.push(2, || span(2));
            assert_eq!(chunk.pending(), 1);
            assert_eq!(chunk.take_published(|s| seen.push(s.start)), 1);
        }
        assert_eq!(seen, [0, 1, 2]);
    }

    #[test]
    fn spans_never_taken_are_dropped_with_the_chunk_or_by_clear() {
        let tagged = |n| {
            let mut span = span(n);
            span.name = Cow::Owned(format!("{n}"));
            span.baggage = crate::identity::Baggage::new().with("k", "v");
            span
        };
        let mut chunk = Chunk::new(3);
        unsafe {
            chunk.push(0, || tagged(0));
            chunk.push(1, || tagged(1));
            chunk.take_published(drop);
            chunk.push(2, || tagged(2));
        }
        assert_eq!(chunk.clear(), 1, "one span was still in it");
        assert_eq!(chunk.pending(), 0);
        unsafe { chunk.push(0, || tagged(3)) };
        assert_eq!(chunk.pending(), 1);
        drop(chunk);
    }

    #[test]
    fn a_reader_on_another_thread_sees_every_span_the_writer_publishes() {
        const SPANS: usize = 20_000;
        let chunk = Arc::new(Chunk::new(SPANS));
        let reader = {
            let chunk = chunk.clone();
            std::thread::spawn(move || {
                let mut next = 0;
                while next < SPANS as u64 {
                    // SAFETY: this is the only reader.
                    unsafe {
                        chunk.take_published(|s| {
                            assert_eq!(s.start, next);
                            next += 1;
                        })
                    };
                }
            })
        };
        for n in 0..SPANS {
            // SAFETY: this thread is the only writer.
            unsafe { chunk.push(n, || span(n as u64)) };
        }
        reader.join().unwrap();
        assert_eq!(chunk.pending(), 0);
    }
}
