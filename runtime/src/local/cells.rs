//! The engine's plain thread-local cells, with no destructor: the flag
//! a traced call under an unsampled trace reads alone, and the lent span
//! of the poll running on this thread.

use std::cell::Cell;

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
