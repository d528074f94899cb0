//! `Secret<T>`: a value that must never reach a span, redacted by its type
//! wherever a span could record it.

use std::fmt;
use std::ops::{Deref, DerefMut};

use crate::tag::{TagValue, ToTag};

/// What a [`Secret`] is recorded as, and how it prints.
pub const REDACTED: &str = "[redacted]";

/// A value that must never reach a span: as a traced function's argument,
/// a `tags(..)` value, a `ret` value, an error, or a tag set by hand, it
/// is recorded as `"[redacted]"`, whatever the attribute's options say;
/// its `Debug` and `Display` print `[redacted]` too. The type enforces
/// it, not a list of names. It derefs to `T`, so code that uses the value
/// barely changes.
///
/// ```
/// use tracekit_runtime::{Secret, TagValue, testing};
///
/// let card = Secret::new(String::from("4242 4242 4242 4242"));
/// assert_eq!(card.len(), 19); // the value, through `Deref`
/// assert_eq!(format!("{card} {card:?}"), "[redacted] [redacted]");
///
/// let (_, spans) = testing::capture(|| {
///     let span = tracekit_runtime::global().span("charge").start();
///     span.set_tag("card", &card);
/// });
/// assert_eq!(spans[0].tag("card"), Some(&TagValue::from("[redacted]")));
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps `value`.
    pub const fn new(value: T) -> Secret<T> {
        Secret(value)
    }

    /// The value, unwrapped: the one way out, to be seen in review.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Secret<T> {
        Secret(value)
    }
}

impl<T> Deref for Secret<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Secret<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T> ToTag for Secret<T> {
    fn to_tag(&self) -> Option<TagValue> {
        Some(TagValue::from(REDACTED))
    }

    fn to_tag_within(&self, _: usize) -> Option<TagValue> {
        self.to_tag()
    }
}

impl<T> From<Secret<T>> for TagValue {
    fn from(_: Secret<T>) -> TagValue {
        TagValue::from(REDACTED)
    }
}

impl<T> From<&Secret<T>> for TagValue {
    fn from(_: &Secret<T>) -> TagValue {
        TagValue::from(REDACTED)
    }
}
