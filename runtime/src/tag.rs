//! Tag values: the typed values of span tags and log fields.

use std::borrow::Cow;
use std::fmt;

use crate::text::Text;

/// The value of a tag or log field.
///
/// Integers that fit in `i64` are stored as [`TagValue::I64`] whatever their
/// Rust type, as OpenTelemetry has a single integer type; only unsigned
/// values above `i64::MAX` use [`TagValue::U64`].
///
/// ```
/// use tracekit_runtime::TagValue;
///
/// assert_eq!(TagValue::from(7u64), TagValue::I64(7));
/// assert_eq!(TagValue::from(u64::MAX), TagValue::U64(u64::MAX));
/// assert_eq!(TagValue::from("GET").as_str(), Some("GET"));
/// assert_eq!(TagValue::from(true).as_bool(), Some(true));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum TagValue {
    /// A boolean.
    Bool(bool),
    /// A signed integer (also unsigned ones up to `i64::MAX`).
    I64(i64),
    /// An unsigned integer above `i64::MAX`.
    U64(u64),
    /// A float.
    F64(f64),
    /// A string: borrowed when it is `'static`, inline when short (see
    /// [`Text`]).
    Str(Text),
}

impl TagValue {
    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            TagValue::Bool(v) => Some(v),
            _ => None,
        }
    }

    /// The integer, if this is one that fits in `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            TagValue::I64(v) => Some(v),
            TagValue::U64(v) => i64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The integer, if this is a non-negative one.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            TagValue::I64(v) => u64::try_from(v).ok(),
            TagValue::U64(v) => Some(v),
            _ => None,
        }
    }

    /// The float, if this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            TagValue::F64(v) => Some(v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            TagValue::Str(v) => Some(v),
            _ => None,
        }
    }

    /// A tag's key and this value, each cut to `limit`: what every way of
    /// setting a tag stores.
    #[inline]
    pub(crate) fn cut_with_key(
        self,
        key: std::borrow::Cow<'static, str>,
        limit: usize,
    ) -> (std::borrow::Cow<'static, str>, TagValue) {
        (crate::cut::cow(key, limit), self.truncated(limit))
    }

    /// Whether the value is within `limit` as it is (only strings can be
    /// too long).
    #[inline(always)]
    pub(crate) fn fits(&self, limit: usize) -> bool {
        match self {
            TagValue::Str(text) => text.len() <= limit,
            _ => true,
        }
    }

    /// Cuts a string longer than `limit` bytes at a character boundary and
    /// marks the cut; other values are returned as they are.
    #[inline(always)]
    pub(crate) fn truncated(self, limit: usize) -> TagValue {
        match self {
            TagValue::Str(s) if s.len() > limit => TagValue::Str(crate::cut::cut_text(&s, limit)),
            other => other,
        }
    }
}

pub use crate::cut::TRUNCATION_MARKER;

impl fmt::Display for TagValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TagValue::Bool(v) => v.fmt(f),
            TagValue::I64(v) => v.fmt(f),
            TagValue::U64(v) => v.fmt(f),
            TagValue::F64(v) => v.fmt(f),
            TagValue::Str(v) => v.fmt(f),
        }
    }
}

macro_rules! from_signed {
    ($($t:ty),*) => {$(
        impl From<$t> for TagValue {
            fn from(v: $t) -> Self {
                TagValue::I64(v as i64)
            }
        }
    )*};
}
from_signed!(i8, i16, i32, i64, isize);

macro_rules! from_unsigned {
    ($($t:ty),*) => {$(
        impl From<$t> for TagValue {
            fn from(v: $t) -> Self {
                match i64::try_from(v) {
                    Ok(small) => TagValue::I64(small),
                    Err(_) => TagValue::U64(v as u64),
                }
            }
        }
    )*};
}
from_unsigned!(u8, u16, u32, u64, usize);

/// 128-bit integers are recorded as integers when they fit in 64 bits, and
/// as their decimal text when they do not (no backend has wider integers).
macro_rules! from_wide {
    ($($t:ty),*) => {$(
        impl From<$t> for TagValue {
            fn from(v: $t) -> Self {
                if let Ok(small) = i64::try_from(v) {
                    TagValue::I64(small)
                } else if let Ok(large) = u64::try_from(v) {
                    TagValue::U64(large)
                } else {
                    TagValue::Str(Text::from(v.to_string()))
                }
            }
        }
    )*};
}
from_wide!(i128, u128);

impl From<bool> for TagValue {
    fn from(v: bool) -> Self {
        TagValue::Bool(v)
    }
}

impl From<f32> for TagValue {
    fn from(v: f32) -> Self {
        TagValue::F64(f64::from(v))
    }
}

impl From<f64> for TagValue {
    fn from(v: f64) -> Self {
        TagValue::F64(v)
    }
}

impl From<char> for TagValue {
    fn from(v: char) -> Self {
        TagValue::Str(Text::new(v.encode_utf8(&mut [0; 4])))
    }
}

impl From<&'static str> for TagValue {
    fn from(v: &'static str) -> Self {
        TagValue::Str(Text::from(v))
    }
}

impl From<String> for TagValue {
    fn from(v: String) -> Self {
        TagValue::Str(Text::from(v))
    }
}

impl From<Cow<'static, str>> for TagValue {
    fn from(v: Cow<'static, str>) -> Self {
        TagValue::Str(Text::from(v))
    }
}

impl From<Text> for TagValue {
    fn from(v: Text) -> Self {
        TagValue::Str(v)
    }
}

/// Types that can be recorded as a tag from a borrow: numbers, `bool`,
/// `char`, strings, and `Option`s and references of those.
///
/// `#[traced]` records an argument as a tag exactly when its type implements
/// this trait; `None` records nothing.
///
/// ```
/// use tracekit_runtime::{TagValue, ToTag};
///
/// assert_eq!(42u16.to_tag(), Some(TagValue::I64(42)));
/// assert_eq!(Some("a").to_tag(), Some(TagValue::from("a")));
/// assert_eq!(None::<u8>.to_tag(), None);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be recorded as a tag value",
    note = "record its Debug text with `tags(key = ?expr)` or its Display text with `tags(key = %expr)`"
)]
pub trait ToTag {
    /// The tag value, or `None` when there is nothing to record.
    fn to_tag(&self) -> Option<TagValue>;

    /// The tag value with strings cut to `limit` bytes (marked with
    /// [`TRUNCATION_MARKER`]). Strings implement it so that only what is
    /// kept is copied; the default cuts what [`to_tag`](Self::to_tag)
    /// made.
    ///
    /// ```
    /// use tracekit_runtime::{TRUNCATION_MARKER, ToTag};
    ///
    /// let long = "x".repeat(10_000);
    /// let tag = long.to_tag_within(4).unwrap();
    /// assert_eq!(tag.as_str(), Some(format!("xxxx{TRUNCATION_MARKER}").as_str()));
    /// ```
    #[inline]
    fn to_tag_within(&self, limit: usize) -> Option<TagValue> {
        self.to_tag().map(|value| value.truncated(limit))
    }
}

macro_rules! to_tag_by_copy {
    ($($t:ty),*) => {$(
        impl ToTag for $t {
            #[inline]
            fn to_tag(&self) -> Option<TagValue> {
                Some(TagValue::from(*self))
            }

            /// Numbers and booleans are never cut.
            #[inline]
            fn to_tag_within(&self, _: usize) -> Option<TagValue> {
                self.to_tag()
            }
        }
    )*};
}
to_tag_by_copy!(
    i8, i16, i32, i64, isize, u8, u16, u32, u64, usize, f32, f64, bool
);

impl ToTag for char {
    #[inline]
    fn to_tag(&self) -> Option<TagValue> {
        Some(TagValue::from(*self))
    }
}

/// 128-bit integers: decimal text when they do not fit in 64 bits, which
/// a tiny limit may cut.
macro_rules! to_tag_wide {
    ($($t:ty),*) => {$(
        impl ToTag for $t {
            #[inline]
            fn to_tag(&self) -> Option<TagValue> {
                Some(TagValue::from(*self))
            }
        }
    )*};
}
to_tag_wide!(i128, u128);

impl ToTag for str {
    #[inline]
    fn to_tag(&self) -> Option<TagValue> {
        Some(TagValue::Str(Text::new(self)))
    }

    #[inline]
    fn to_tag_within(&self, limit: usize) -> Option<TagValue> {
        Some(TagValue::Str(crate::cut::text(self, limit)))
    }
}

impl ToTag for String {
    #[inline]
    fn to_tag(&self) -> Option<TagValue> {
        self.as_str().to_tag()
    }

    #[inline]
    fn to_tag_within(&self, limit: usize) -> Option<TagValue> {
        self.as_str().to_tag_within(limit)
    }
}

impl ToTag for Cow<'_, str> {
    #[inline]
    fn to_tag(&self) -> Option<TagValue> {
        self.as_ref().to_tag()
    }

    #[inline]
    fn to_tag_within(&self, limit: usize) -> Option<TagValue> {
        self.as_ref().to_tag_within(limit)
    }
}

impl<T: ToTag + ?Sized> ToTag for &T {
    #[inline]
    fn to_tag(&self) -> Option<TagValue> {
        (**self).to_tag()
    }

    #[inline]
    fn to_tag_within(&self, limit: usize) -> Option<TagValue> {
        (**self).to_tag_within(limit)
    }
}

impl<T: ToTag + ?Sized> ToTag for &mut T {
    #[inline]
    fn to_tag(&self) -> Option<TagValue> {
        (**self).to_tag()
    }

    #[inline]
    fn to_tag_within(&self, limit: usize) -> Option<TagValue> {
        (**self).to_tag_within(limit)
    }
}

impl<T: ToTag> ToTag for Option<T> {
    #[inline]
    fn to_tag(&self) -> Option<TagValue> {
        self.as_ref()?.to_tag()
    }

    #[inline]
    fn to_tag_within(&self, limit: usize) -> Option<TagValue> {
        self.as_ref()?.to_tag_within(limit)
    }
}

impl ToTag for TagValue {
    #[inline]
    fn to_tag(&self) -> Option<TagValue> {
        Some(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_cuts_on_a_char_boundary_and_marks_the_cut() {
        let long = TagValue::from("ééééé".to_string()); // 10 bytes
        let cut = long.truncated(5);
        assert_eq!(cut.as_str(), Some("éé…[truncated]"));
        assert_eq!(TagValue::from("short").truncated(5).as_str(), Some("short"));
    }

    #[test]
    fn wide_integers_are_integers_when_they_fit_and_decimal_text_when_not() {
        assert_eq!(TagValue::from(-5i128), TagValue::I64(-5));
        assert_eq!(
            TagValue::from(u128::from(u64::MAX)),
            TagValue::U64(u64::MAX)
        );
        assert_eq!(
            TagValue::from(i128::MIN).as_str(),
            Some("-170141183460469231731687303715884105728")
        );
        assert_eq!(
            TagValue::from(u128::MAX).as_str(),
            Some("340282366920938463463374607431768211455")
        );
    }

    #[test]
    fn integer_accessors_convert_between_signed_and_unsigned() {
        assert_eq!(TagValue::I64(-1).as_u64(), None);
        assert_eq!(TagValue::U64(u64::MAX).as_i64(), None);
        assert_eq!(TagValue::I64(5).as_u64(), Some(5));
    }
}
