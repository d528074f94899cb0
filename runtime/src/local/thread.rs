//! The thread-locals of the engine and the only ways in: `with_stack`
//! (which pushes a lent span first, and falls back to a stand-in stack
//! during thread teardown), `with_thread`, and the operations the rest of
//! the runtime asks for by name.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use super::SharedRef;
use super::cells::LENT;
use super::stack::{Active, Stack};
use crate::export::Shared;
use crate::identity::{SpanId, TraceId};
use crate::live::LiveSpan;

thread_local! {
    static STACK: RefCell<Stack> = const { RefCell::new(Stack::new()) };
    /// The stand-in for `STACK` once it is gone, while the thread's other
    /// thread-locals are torn down (null: none); see `with_teardown_stack`.
    /// A plain cell, with no destructor, so it outlives them all.
    static TEARDOWN: Cell<*mut Stack> = const { Cell::new(std::ptr::null_mut()) };
}

/// Runs `f` on this thread's stack. During thread teardown, once the
/// stack is gone (a span started in a thread-local's destructor), `f` runs
/// on a stand-in kept until its last entry goes (see
/// [`with_teardown_stack`]). No user code runs while the stack is
/// borrowed, so the borrow cannot fail for any other reason.
///
/// A span lent by a poll (see [`lend`](fn@super::lend)) is pushed first, so `f` sees the
/// stack as it would be had the span been pushed at the poll's start.
#[inline]
pub(super) fn with_stack<R>(f: impl FnOnce(&mut Stack) -> Option<R>) -> Option<R> {
    let mut f = Some(f);
    if let Ok(out) = STACK.try_with(|stack| {
        let mut stack = stack.try_borrow_mut().ok()?;
        stack.push_lent();
        f.take()?(&mut stack)
    }) {
        return out;
    }
    with_teardown_stack(f?)
}

/// Runs `f` on the stand-in stack of a thread whose stack is gone. The
/// stand-in lives in a slot with no destructor (so it stays reachable
/// while the thread's other thread-locals are torn down) and is let go,
/// its spans queued for export, as soon as no entry is left on it.
#[cold]
#[inline(never)]
fn with_teardown_stack<R>(f: impl FnOnce(&mut Stack) -> Option<R>) -> Option<R> {
    let raw = TEARDOWN.with(|slot| slot.replace(std::ptr::null_mut()));
    let mut stack = if raw.is_null() {
        Box::new(Stack::new())
    } else {
        // SAFETY: the slot held the only pointer to a box leaked below; it
        // was just cleared, so the box has one owner again.
        unsafe { Box::from_raw(raw) }
    };
    stack.push_lent();
    let out = f(&mut stack);
    if !stack.entries.is_empty() {
        let raw = Box::into_raw(stack);
        TEARDOWN.with(|slot| slot.set(raw));
    }
    out
}

/// Runs `f` on this thread's state.
#[inline]
pub(crate) fn with_thread<R>(f: impl FnOnce(&mut Stack) -> R) -> R {
    let mut f = Some(f);
    if let Some(out) = with_stack(|stack| Some(f.take()?(stack))) {
        return out;
    }
    on_fresh_stack(f)
}

/// Runs `f` on this thread's stack as it is, when nothing needs doing
/// first: no poll lent a span, and the stack is there (not torn down).
/// `None` otherwise, or when `f` declines: the caller then takes the
/// general path ([`with_thread`]).
#[inline(always)]
pub(crate) fn with_plain_stack<R>(f: impl FnOnce(&mut Stack) -> Option<R>) -> Option<R> {
    if !LENT.with(Cell::get).is_null() {
        return None;
    }
    with_stack_as_it_is(f)
}

/// Runs `f` on this thread's stack as it is, a lent span or not: for what
/// concerns only entries already on the stack (the finish of the span on
/// top), which a lent span, not pushed, would leave where they are.
/// `None` if the stack is gone, or when `f` declines.
#[inline(always)]
pub(crate) fn with_stack_as_it_is<R>(f: impl FnOnce(&mut Stack) -> Option<R>) -> Option<R> {
    // Only the access goes through `try_with`. Small, it is inlined
    // wherever it is used; holding `f`, it was not, once a traced call's
    // start and finish shared one frame (a call and 30 instructions more).
    let stack: *const RefCell<Stack> = STACK.try_with(|stack| stack as *const _).ok()?;
    // SAFETY: the thread-local was alive just now, and only the thread's
    // exit destroys it, which `f` (engine code that runs no user code)
    // cannot bring about.
    let stack = unsafe { &*stack };
    f(&mut *stack.try_borrow_mut().ok()?)
}

/// Runs `f` on a stack of its own: only if this thread's stack was
/// borrowed already, which no code path does.
#[cold]
#[inline(never)]
fn on_fresh_stack<R>(f: Option<impl FnOnce(&mut Stack) -> R>) -> R {
    match f {
        Some(f) => f(&mut Stack::new()),
        None => unreachable!("the closure ran and returned"),
    }
}

/// Takes the span `id` off this thread's stack, unfinished (an async call's,
/// at the end of a poll), boxed to travel.
#[inline]
pub(crate) fn take_carried(id: u64) -> Option<Box<LiveSpan>> {
    with_stack(|stack| {
        let position = stack.find(id)?;
        stack.remove_carried(position)
    })
}

/// Finishes an async call's span at `end`, off the stack, and buffers it
/// for `pipeline`.
pub(crate) fn finish_carried(live: Box<LiveSpan>, end: u64, pipeline: Option<&Arc<Shared>>) {
    with_thread(|stack| stack.finish_carried(live, end, pipeline));
}

/// Runs `f` on the local span `id` of this thread, if it is there.
pub(crate) fn with_local<R>(id: u64, f: impl FnOnce(&mut LiveSpan) -> R) -> Option<R> {
    with_stack(|stack| {
        let position = stack.find(id)?;
        stack.entries[position].active.live_mut().map(f)
    })
}

/// What is active on this thread, in a form that may travel.
pub(crate) fn top() -> Option<Active> {
    with_stack(|stack| Some(stack.entries.last()?.active.portable()))
}

/// Whether a span or a context is active on this thread (a lent span is
/// one, and is not pushed to say so).
pub(crate) fn has_top() -> bool {
    if !LENT.with(Cell::get).is_null() {
        return true;
    }
    with_stack(|stack| Some(stack.entries.last()?.active.has_context())).unwrap_or(false)
}

/// Pushes `active` onto this thread's stack; returns its entry id (0 when
/// nothing could be pushed).
pub(crate) fn enter(active: Active) -> u64 {
    with_stack(|stack| Some(stack.push(active))).unwrap_or(0)
}

/// Makes a shared span active (each poll of a traced future does), the
/// entry taking this reference to it: the entry is built here, in place,
/// rather than passed in whole. Not taken, the reference is released after
/// the borrow.
#[inline]
pub(crate) fn enter_span(span: SharedRef) -> u64 {
    with_stack(move |stack| Some(stack.push(Active::Span(span)))).unwrap_or(0)
}

/// Removes the entry `id`, wherever it sits. The entry is dropped after
/// the borrow ended: releasing the last reference to a span must not run
/// while the stack is borrowed.
pub(crate) fn leave(id: u64) {
    let _released = with_stack(|stack| {
        let position = stack.find(id)?;
        stack.remove(position)
    });
}

/// The active span of this thread, when it lives in this process.
pub(crate) enum ActiveSpan {
    /// A shared span.
    Shared(SharedRef),
    /// A span on the stack, under this entry id.
    Local(u64),
}

/// A handle to the active span, if it lives in this process. Only a handle
/// is taken: the stack is not borrowed while the caller uses it.
pub(crate) fn active_span() -> Option<ActiveSpan> {
    with_stack(|stack| {
        let entry = stack.entries.last()?;
        match &entry.active {
            Active::Span(span) => Some(ActiveSpan::Shared(span.clone())),
            Active::Local(_) | Active::Carried(_) => Some(ActiveSpan::Local(entry.id)),
            Active::Context(_) | Active::Nothing => None,
        }
    })
}

/// A new span id, outside a visit of the thread's state.
pub(crate) fn new_span_id() -> SpanId {
    with_thread(Stack::span_id)
}

/// A new trace id, outside a visit of the thread's state.
pub(crate) fn new_trace_id() -> TraceId {
    with_thread(Stack::trace_id)
}
