//! A traced call's `tags(..)` and arguments, gathered off the scope stack
//! into the tag vector they will live in (the `before_call` hooks see the
//! arguments there), then handed to the span in one step. Each value is
//! built in its final slot: no argument array is filled and then read back
//! (reading back what was just written in pieces stalls the CPU's store
//! forwarding).

use crate::extra::{Extra, Unsummarized};
use crate::local;
use crate::tag::TagValue;

/// The `tags(..)` and argument tags of one call, gathered off the scope
/// stack (nothing is borrowed while the values are computed): the tags
/// first, then the arguments.
pub struct ArgTags {
    extra: Unsummarized,
    /// How many of the gathered tags come from `tags(..)`.
    tags: usize,
    limit: usize,
}

impl ArgTags {
    pub(super) fn new(count: usize) -> ArgTags {
        ArgTags::with_limit(count, super::tag_limit())
    }

    /// Room for `count` tags, strings cut at `limit`.
    pub(crate) fn with_limit(count: usize, limit: usize) -> ArgTags {
        ArgTags {
            // Pushed without a summary of their keys.
            extra: Unsummarized::new(Extra::fresh(), count),
            tags: 0,
            limit,
        }
    }

    /// The length string tags are cut at.
    #[inline(always)]
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Records the `tags(..)` entry `key`; `None` records nothing. Every
    /// tag comes before the first argument.
    #[inline(always)]
    pub fn tag(&mut self, key: &'static str, value: Option<TagValue>) {
        self.arg(key, value);
        self.tags = self.extra.len();
    }

    /// Records the argument `key`; `None` (a type that is not recorded)
    /// records nothing. The value comes cut to the tracer's limit
    /// (`ToTag::to_tag_within`).
    #[inline(never)]
    pub fn arg(&mut self, key: &'static str, value: Option<TagValue>) {
        if let Some(value) = value {
            self.push(key, value);
        }
    }

    /// Records the signed integer argument `key`.
    #[inline(never)]
    pub fn int(&mut self, key: &'static str, value: i64) {
        self.push(key, TagValue::I64(value));
    }

    /// Records the unsigned integer argument `key`.
    #[inline(never)]
    pub fn uint(&mut self, key: &'static str, value: u64) {
        self.push(key, TagValue::from(value));
    }

    /// Records the float argument `key`.
    #[inline(never)]
    pub fn float(&mut self, key: &'static str, value: f64) {
        self.push(key, TagValue::F64(value));
    }

    /// Records the boolean argument `key`.
    #[inline(never)]
    pub fn boolean(&mut self, key: &'static str, value: bool) {
        self.push(key, TagValue::Bool(value));
    }

    /// Records the string argument `key`, cut to the tracer's limit.
    #[inline(never)]
    pub fn text(&mut self, key: &'static str, value: &str) {
        let value = TagValue::Str(crate::cut::text(value, self.limit));
        self.push(key, value);
    }

    /// Records `[redacted]` under `key`: an argument under a secret name.
    #[inline(never)]
    pub fn redacted(&mut self, key: &'static str) {
        self.push(key, TagValue::from(crate::secret::REDACTED));
    }

    #[inline(always)]
    fn push(&mut self, key: &'static str, value: TagValue) {
        self.extra.push(key, value);
    }

    /// Everything gathered.
    pub(crate) fn into_all(self) -> Box<Extra> {
        self.extra.into_box()
    }

    /// The `tags(..)` alone: the arguments are let go.
    pub(super) fn into_tags_only(mut self) -> Box<Extra> {
        self.extra.truncate(self.tags);
        self.extra.into_box()
    }

    /// The `tags(..)`, and the arguments apart.
    pub(super) fn split(mut self) -> (Box<Extra>, Box<Extra>) {
        let args = self.extra.split_off(self.tags, Extra::fresh());
        (self.extra.into_box(), args.into_box())
    }
}

/// Adds gathered tags to the local span `id`.
#[inline]
pub(super) fn add_to_span(id: u64, tags: Box<Extra>) {
    local::with_local(id, |live| live.add_arg_tags(tags));
}

/// Sets gathered argument tags on the local span `id`, each replacing a
/// tag of that key a `before_call` hook may have set.
#[inline(never)]
pub(super) fn set_on_span(id: u64, tags: Box<Extra>) {
    local::with_local(id, |live| live.set_arg_tags(tags));
}
