//! A traced call's `tags(..)` and arguments, gathered off the scope stack
//! into the tag vector they will live in (the `before_call` hooks see the
//! arguments there), then handed to the span in one step. Each value is
//! built in its final slot: no argument array is filled and then read back
//! (reading back what was just written in pieces stalls the CPU's store
//! forwarding).

use crate::extra::{Extra, Unsummarized};
use crate::local;
use crate::redaction::{SECRET_MASK_BITS, SecretNames};
use crate::tag::TagValue;

/// The `tags(..)` and argument tags of one call, gathered off the scope
/// stack (nothing is borrowed while the values are computed): the tags
/// first, then the arguments.
pub struct ArgTags {
    extra: Unsummarized,
    /// How many of the gathered tags come from `tags(..)`.
    tags: usize,
    limit: usize,
    /// Bit `i`: argument `i` is under a secret name (see
    /// `CallSite::secret_args`); the top bit: the site has arguments past
    /// the mask's bits, checked by name.
    secret: u64,
    /// The call site's argument names and their secret mask, for the
    /// arguments past the mask's bits.
    site: Option<(&'static [&'static str], &'static SecretNames)>,
}

impl ArgTags {
    /// Room for `count` tags, for a call whose recorded arguments are
    /// `args`, `secret` saying which are secret.
    pub(super) fn for_call(
        count: usize,
        args: &'static [&'static str],
        secret: &'static SecretNames,
    ) -> ArgTags {
        // A site with arguments past the mask's bits sets the top bit, so
        // that `secret == 0` alone says "nothing here is secret".
        let wide = if args.len() > SECRET_MASK_BITS {
            1 << 63
        } else {
            0
        };
        ArgTags {
            secret: secret.mask(args) | wide,
            site: Some((args, secret)),
            ..ArgTags::with_limit(count, super::tag_limit())
        }
    }

    /// Room for `count` tags, strings cut at `limit`.
    pub(crate) fn with_limit(count: usize, limit: usize) -> ArgTags {
        ArgTags {
            // Pushed without a summary of their keys.
            extra: Unsummarized::new(Extra::fresh(), count),
            tags: 0,
            limit,
            secret: 0,
            site: None,
        }
    }

    /// Whether argument `index` is recorded as `[redacted]`.
    #[inline(always)]
    pub fn is_secret(&self, index: usize) -> bool {
        if index < SECRET_MASK_BITS {
            self.secret & (1 << index) != 0
        } else {
            self.site
                .is_some_and(|(args, secret)| secret.is_secret(args, index))
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
        if let Some(value) = value {
            self.push(key, value);
        }
        self.tags = self.extra.len();
    }

    /// Records argument `index` as `key`: the value `value` makes, or
    /// `[redacted]` when the argument's name is secret. Each typed entry
    /// below is compiled once, so the check costs the generated code
    /// nothing.
    #[inline(always)]
    fn arg_value(
        &mut self,
        key: &'static str,
        index: usize,
        value: impl FnOnce(&Self) -> TagValue,
    ) {
        // Nearly always no argument of the call is secret: one test, and
        // the value is built straight into its slot.
        if self.secret != 0 && self.is_secret(index) {
            return self.redacted(key);
        }
        let value = value(self);
        self.push(key, value);
    }

    /// Records argument `index`, `key`; `None` (a type that is not
    /// recorded) records nothing. The value comes cut to the tracer's
    /// limit (`ToTag::to_tag_within`).
    #[inline(never)]
    pub fn arg(&mut self, key: &'static str, index: usize, value: Option<TagValue>) {
        if let Some(value) = value {
            self.arg_value(key, index, |_| value);
        }
    }

    /// Records the signed integer argument `index`, `key`.
    #[inline(never)]
    pub fn int(&mut self, key: &'static str, index: usize, value: i64) {
        self.arg_value(key, index, |_| TagValue::I64(value));
    }

    /// Records the unsigned integer argument `index`, `key`.
    #[inline(never)]
    pub fn uint(&mut self, key: &'static str, index: usize, value: u64) {
        self.arg_value(key, index, |_| TagValue::from(value));
    }

    /// Records the float argument `index`, `key`.
    #[inline(never)]
    pub fn float(&mut self, key: &'static str, index: usize, value: f64) {
        self.arg_value(key, index, |_| TagValue::F64(value));
    }

    /// Records the boolean argument `index`, `key`.
    #[inline(never)]
    pub fn boolean(&mut self, key: &'static str, index: usize, value: bool) {
        self.arg_value(key, index, |_| TagValue::Bool(value));
    }

    /// Records the string argument `index`, `key`, cut to the tracer's
    /// limit.
    #[inline(never)]
    pub fn text(&mut self, key: &'static str, index: usize, value: &str) {
        self.arg_value(key, index, |args| {
            TagValue::Str(crate::cut::text(value, args.limit))
        });
    }

    /// Records `[redacted]` under `key`: an argument under a secret name.
    #[cold]
    #[inline(never)]
    pub fn redacted(&mut self, key: &'static str) {
        self.push(key, TagValue::from(crate::secret::REDACTED));
    }

    /// Adds a tag of a value's fields (see `TagWriter`), not an argument.
    #[inline]
    pub(crate) fn field(&mut self, key: &'static str, value: TagValue) {
        self.push(key, value);
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
