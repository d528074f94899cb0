//! This thread's pool of emptied extra boxes (a span's tags, logs and
//! references): a span with tags takes one, the exporter thread empties it
//! and gives it back to the pipeline, and the thread tops its pool up from
//! there when it queues a chunk or flushes. In steady state a span with
//! tags allocates nothing.

#![allow(
    clippy::vec_box,
    reason = "an extra box moves whole between a span and the pools, never reallocated"
)]

use std::cell::RefCell;

use crate::export::Shared;
use crate::extra::{Extra, MAX_THREAD_EXTRAS};

thread_local! {
    static SPARE_EXTRAS: RefCell<Vec<Box<Extra>>> = const { RefCell::new(Vec::new()) };
}

impl Extra {
    /// An empty box: a reused one when this thread has one.
    #[inline]
    pub(crate) fn fresh() -> Box<Extra> {
        SPARE_EXTRAS
            .try_with(|spare| spare.try_borrow_mut().ok()?.pop())
            .ok()
            .flatten()
            // Room for the tags a span usually gets, so that a new box is
            // not grown at its first, fifth and ninth tag.
            .unwrap_or_else(|| Extra::with_room(8))
    }

    /// Puts an emptied box back in this thread's pool (or lets it go when
    /// the pool is full or gone).
    pub(crate) fn give_back(self: Box<Self>) {
        let _ = SPARE_EXTRAS.try_with(|spare| {
            if let Ok(mut spare) = spare.try_borrow_mut()
                && spare.len() < MAX_THREAD_EXTRAS
            {
                spare.push(self);
            }
        });
    }
}

/// Tops this thread's pool up with the boxes `shared`'s exporter gave
/// back.
pub(crate) fn top_up_from(shared: &Shared) {
    let mut pool = take_spare_extras();
    shared.top_up_extras(&mut pool);
    restore_spare_extras(pool);
}

/// Takes this thread's pool of emptied boxes, to top it up; empty during
/// thread teardown.
pub(crate) fn take_spare_extras() -> Vec<Box<Extra>> {
    SPARE_EXTRAS
        .try_with(|spare| spare.try_borrow_mut().map(|mut s| std::mem::take(&mut *s)))
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default()
}

/// Puts the pool back (dropped instead during thread teardown).
pub(crate) fn restore_spare_extras(extras: Vec<Box<Extra>>) {
    let _ = SPARE_EXTRAS.try_with(|spare| {
        if let Ok(mut spare) = spare.try_borrow_mut() {
            *spare = extras;
        }
    });
}
