//! A traced call's arguments written straight into its span's tags, for a
//! call no hook looks at first. Each value is built in its final slot: no
//! argument array is filled and then read back (reading back what was just
//! written in pieces stalls the CPU's store forwarding).

use std::borrow::Cow;

use crate::export::raw::Extra;
use crate::in_place::push_in_place;
use crate::local;
use crate::tag::TagValue;

/// The argument tags of one call, gathered off the scope stack (nothing is
/// borrowed while the values are computed), then handed to the span in one
/// step.
pub struct ArgTags {
    extra: Box<Extra>,
}

impl ArgTags {
    fn new(count: usize) -> ArgTags {
        let mut extra = Extra::fresh();
        extra.tags.reserve(count);
        ArgTags { extra }
    }

    /// Records the argument `key`; `None` (a type that is not recorded)
    /// records nothing. The value comes cut to the tracer's limit
    /// (`ToTag::to_tag_within`).
    #[inline(always)]
    pub fn arg(&mut self, key: &'static str, value: Option<TagValue>) {
        if let Some(value) = value {
            push_in_place(&mut self.extra.tags, (Cow::Borrowed(key), value));
        }
    }
}

/// Gathers `count` argument tags with `write`, then adds them to the local
/// span `id`.
#[inline(always)]
pub(crate) fn record_args(id: u64, count: usize, write: impl FnOnce(&mut ArgTags)) {
    let mut args = ArgTags::new(count);
    write(&mut args);
    add_to_span(id, args.extra);
}

/// The part of [`record_args`] that is the same for every traced
/// function: kept apart (not generic over its caller's closure), so it is
/// compiled once, not once per traced function.
#[inline]
fn add_to_span(id: u64, tags: Box<Extra>) {
    local::with_local(id, |live| live.add_arg_tags(tags));
}
