//! The async loan: a traced future's span, active on the polling thread
//! for one poll without being pushed (see [`lend`]).

use std::cell::Cell;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::sync::Arc;

use super::cells::{LENT, LENT_ID, set_top_is_unsampled, top_is_unsampled};
use super::thread::{finish_carried, with_stack};
use crate::export::Shared;
use crate::live::LiveSpan;

/// An async call's span, active on this thread for one poll but not
/// pushed: most polls start no span and read nothing, so the push waits
/// until something reads or changes the stack (see `with_stack`). Made by
/// [`lend`]; ended, on the same thread, by [`Lent::take_back`],
/// [`Lent::finish`] or [`Lent::settle`].
pub(crate) struct Lent<S: Sink> {
    raw: *mut LiveSpan,
    /// The entry id the span takes if it is pushed: how the loan finds it
    /// there (an id names one span; boxes are reused).
    id: u64,
    /// The "unsampled top" flag before the loan, to restore when the span
    /// comes back never pushed.
    was_unsampled: bool,
    _sink: PhantomData<S>,
}

/// Where a lent span goes when it finishes, looked up only then: for the
/// traced futures, the global tracer's pipeline (the engine does not know
/// the tracer; a type says it, at no cost in the loan).
pub(crate) trait Sink {
    /// The pipeline, if the tracer has one.
    fn pipeline() -> Option<&'static Arc<Shared>>;
}

/// Makes `live` the active span for one poll. `id` is the entry id it
/// takes if something pushes it: drawn once for the span by its owner
/// (`next_entry_id`), so a loan finds its own span and no other. Fails
/// (the span comes back) only during thread teardown, when a span lent by
/// an enclosing poll can no longer be pushed.
#[inline]
pub(crate) fn lend<S: Sink>(live: Box<LiveSpan>, id: u64) -> Result<Lent<S>, Box<LiveSpan>> {
    // An enclosing poll's lent span goes on the stack first, below this one.
    if !LENT.with(Cell::get).is_null() && with_stack(|_| Some(())).is_none() {
        return Err(live);
    }
    let was_unsampled = top_is_unsampled();
    set_top_is_unsampled(!live.sampled);
    let raw = Box::into_raw(live);
    LENT.with(|lent| lent.set(raw));
    LENT_ID.with(|cell| cell.set(id));
    Ok(Lent {
        raw,
        id,
        was_unsampled,
        _sink: PhantomData,
    })
}

impl<S: Sink> Lent<S> {
    /// The span, if it was never pushed: nothing else touched the stack.
    #[inline(always)]
    fn reclaim(&self) -> Option<Box<LiveSpan>> {
        if LENT.with(Cell::get) != self.raw {
            return None;
        }
        LENT.with(|lent| lent.set(std::ptr::null_mut()));
        set_top_is_unsampled(self.was_unsampled);
        // SAFETY: `LENT` owned the box `lend` leaked and no longer holds it.
        Some(unsafe { Box::from_raw(self.raw) })
    }

    /// Ends the poll: the span comes back to travel with its future, from
    /// wherever it is now.
    #[inline]
    pub(crate) fn take_back(self) -> Option<Box<LiveSpan>> {
        let lent = ManuallyDrop::new(self);
        if let Some(live) = lent.reclaim() {
            return Some(live);
        }
        with_stack(|stack| {
            let position = stack.find(lent.id)?;
            stack.remove_carried(position)
        })
    }

    /// Finishes the span at `end` and buffers it for its pipeline, when it
    /// was never pushed; else it comes back, for [`settle`](Self::settle).
    #[inline]
    pub(crate) fn finish(self, end: u64) -> Result<(), Lent<S>> {
        let Some(live) = self.reclaim() else {
            return Err(self);
        };
        std::mem::forget(self);
        finish_carried(live, end, S::pipeline());
        Ok(())
    }

    /// Pushes the span if it is still lent; returns its entry id, for the
    /// steps that name the span there (hooks, outcome tags, finishing).
    /// During thread teardown there is no stack: the span comes back, if
    /// it was never pushed.
    #[inline]
    pub(crate) fn settle(self) -> Result<u64, Option<Box<LiveSpan>>> {
        let lent = ManuallyDrop::new(self);
        let id = with_stack(|stack| {
            let position = stack.find(lent.id)?;
            Some(stack.entries[position].id)
        });
        id.ok_or_else(|| lent.reclaim())
    }
}

impl<S: Sink> Drop for Lent<S> {
    /// A loan that was never ended (a panic on the way, in a formatter the
    /// outcome called, say): the span is finished now, where it is, rather
    /// than left lent for the next visit to the stack to push for good.
    #[cold]
    fn drop(&mut self) {
        let pipeline = S::pipeline();
        let end = |live: &LiveSpan| crate::clock::now_if(live.recording);
        if let Some(live) = self.reclaim() {
            let end = end(&live);
            finish_carried(live, end, pipeline);
            return;
        }
        with_stack(|stack| {
            let position = stack.find(self.id)?;
            let id = stack.entries[position].id;
            let end = stack.entries[position].active.live().map_or(0, end);
            stack.finish_local(id, end, pipeline);
            Some(())
        });
    }
}
