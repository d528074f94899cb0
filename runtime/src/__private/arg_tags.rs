//! A traced call's arguments, gathered off the scope stack into the tag
//! vector they will live in (the `before_call` hooks see them there), then
//! handed to the span in one step. Each value is built in its final slot:
//! no argument array is filled and then read back (reading back what was
//! just written in pieces stalls the CPU's store forwarding).

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

/// Gathers `count` argument tags with `write`, off the scope stack.
#[inline(always)]
pub(crate) fn gather(count: usize, write: impl FnOnce(&mut ArgTags)) -> Box<Extra> {
    let mut args = ArgTags::new(count);
    write(&mut args);
    args.extra
}

/// Adds gathered argument tags to the local span `id`. Kept apart (not
/// generic over its caller's closure), so it is compiled once, not once
/// per traced function.
#[inline]
pub(crate) fn add_to_span(id: u64, tags: Box<Extra>) {
    local::with_local(id, |live| live.add_arg_tags(tags));
}

/// Sets gathered argument tags on the local span `id`, each replacing a
/// tag of that key a `before_call` hook may have set.
#[inline(never)]
pub(crate) fn set_on_span(id: u64, tags: Box<Extra>) {
    local::with_local(id, |live| live.set_arg_tags(tags));
}
