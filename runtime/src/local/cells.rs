//! The engine's plain thread-local cells, with no destructor: the flag
//! a traced call under an unsampled trace reads alone, the lent span of
//! the poll running on this thread and the entry id it takes if pushed,
//! and the next entry id.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::live::LiveSpan;

thread_local! {
    /// Whether the top of this thread's stack is a parent whose trace is
    /// not sampled: kept beside the stack, in a plain cell, so a traced
    /// call under an unsampled trace reads one flag and nothing else.
    static TOP_IS_UNSAMPLED: Cell<bool> = const { Cell::new(false) };
    /// The span of the async call being polled on this thread, active but
    /// not pushed yet (null: none); see `lend`. While it is here, this
    /// cell owns it.
    pub(super) static LENT: Cell<*mut LiveSpan> = const { Cell::new(std::ptr::null_mut()) };
    /// The entry id the lent span takes when it is pushed, which its owner
    /// drew once: the loan finds its span on the stack by this id alone.
    pub(super) static LENT_ID: Cell<u64> = const { Cell::new(0) };
    /// The next entry id of this thread (0: a new block is needed).
    static NEXT_ENTRY_ID: Cell<u64> = const { Cell::new(0) };
}

/// A new entry id. Ids come in blocks of 2^32 (this cell draws from one,
/// each thread's stack from another; see `Stack::entry_id`), so an id
/// names one entry in the whole process: a handle used on the wrong
/// thread, or a loan whose span is gone, finds nothing.
#[inline(always)]
pub(crate) fn next_entry_id() -> u64 {
    NEXT_ENTRY_ID.with(|next| {
        let mut id = next.get();
        if id & 0xffff_ffff == 0 {
            id = new_block();
        }
        next.set(id + 1);
        id
    })
}

#[cold]
pub(super) fn new_block() -> u64 {
    static BLOCKS: AtomicU64 = AtomicU64::new(1);
    BLOCKS.fetch_add(1, Ordering::Relaxed) << 32
}

/// Whether the span active on this thread belongs to a trace that is not
/// sampled.
#[inline(always)]
pub(crate) fn top_is_unsampled() -> bool {
    TOP_IS_UNSAMPLED.get()
}

/// Sets the flag through `with`: `LocalKey::set` goes through the lazy
/// initialisation path, a call, though this cell is constant-initialised
/// and has no destructor (so `with` cannot fail).
#[inline(always)]
pub(super) fn set_top_is_unsampled(value: bool) {
    TOP_IS_UNSAMPLED.with(|flag| flag.set(value));
}
