//! `Tags`: how one value becomes several span tags, one per field, named
//! `name.field` (`#[derive(Tags)]` writes the impl; a hand-written one is a
//! few lines).

mod impls;
pub(crate) mod keys;

use std::fmt;

use crate::__private_0_1::ArgTags;
use crate::extra::Extra;
use crate::secret::REDACTED;
use crate::tag::{TagValue, ToTag};

/// How deep nested values are followed: `order.customer.address.city` is
/// three levels below `order`; fields deeper than this are not recorded.
pub const MAX_TAG_DEPTH: u8 = 6;

/// `value`'s tags under `name`, strings cut at `limit`: what
/// `set_tags` sets on a span.
pub(crate) fn gather<T: Tags + ?Sized>(name: &'static str, value: &T, limit: usize) -> Box<Extra> {
    let mut out = ArgTags::with_limit(0, limit);
    value.record_tags(&mut TagWriter::new(&mut out, name));
    out.into_all()
}

/// A value recorded as span tags, one per field: an argument of a
/// `#[traced]` function whose type implements `Tags` is recorded as
/// `arg.field` tags, and [`Span::set_tags`](crate::SpanRef::set_tags) records
/// one by hand.
///
/// `#[derive(Tags)]` (in the `tracekit` facade) writes the impl for
/// structs and enums. Numbers, `bool`, `char`, strings, [`TagValue`] and
/// [`Secret`](crate::Secret) implement it as one tag under the value's own
/// name; references, `Box`, `Rc`, `Arc` and `Option` record what they hold
/// (`None`: nothing).
///
/// A hand-written impl records its fields with [`TagWriter::field`], or
/// itself as one tag with [`TagWriter::value`]:
///
/// ```
/// use tracekit_runtime::{TagValue, TagWriter, Tags, testing};
///
/// /// A newtype recorded as its number, under the name it is given.
/// struct UserId(u64);
///
/// impl Tags for UserId {
///     fn record_tags(&self, tags: &mut TagWriter<'_>) {
///         tags.value(&self.0);
///     }
/// }
///
/// /// A type with a computed tag.
/// struct Cart {
///     items: Vec<u64>,
/// }
///
/// impl Tags for Cart {
///     fn record_tags(&self, tags: &mut TagWriter<'_>) {
///         tags.field("items", &self.items.len());
///         tags.field("total", &self.items.iter().sum::<u64>());
///     }
/// }
///
/// let (_, spans) = testing::capture(|| {
///     let span = tracekit_runtime::global().span("checkout").start();
///     span.set_tags("user", &UserId(7));
///     span.set_tags("cart", &Cart { items: vec![250, 100] });
/// });
/// assert_eq!(spans[0].tag("user"), Some(&TagValue::I64(7)));
/// assert_eq!(spans[0].tag("cart.items"), Some(&TagValue::I64(2)));
/// assert_eq!(spans[0].tag("cart.total"), Some(&TagValue::I64(350)));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be recorded as span tags",
    label = "this type does not implement `Tags`",
    note = "on a field of a `#[derive(Tags)]` type, record it with `#[tags(debug)]` or `#[tags(display)]`, or leave it out with `#[tags(skip)]`",
    note = "a type of yours can `#[derive(Tags)]`, or implement `Tags` by hand"
)]
pub trait Tags {
    /// Records this value through `tags`, under the name `tags` carries.
    fn record_tags(&self, tags: &mut TagWriter<'_>);
}

/// Where a [`Tags`] value writes its tags: a span's tags, under the name
/// the value is recorded as (the argument's name, the name given to
/// [`Span::set_tags`](crate::SpanRef::set_tags), or `name.field` for a nested
/// value).
///
/// Nothing is formatted or copied when the span is not sampled: the value
/// is not asked to record at all.
pub struct TagWriter<'a> {
    out: &'a mut ArgTags,
    name: &'static str,
    depth: u8,
}

impl<'a> TagWriter<'a> {
    pub(crate) fn new(out: &'a mut ArgTags, name: &'static str) -> TagWriter<'a> {
        TagWriter {
            out,
            name,
            depth: 0,
        }
    }

    /// The name this value's tags are recorded under.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Records `value` as one tag named as this value (what a newtype or a
    /// leaf type does). Strings are cut to the tracer's limit; `None`
    /// records nothing.
    pub fn value<T: ToTag + ?Sized>(&mut self, value: &T) {
        if !self.name.is_empty() {
            if let Some(value) = value.to_tag_within(self.out.limit()) {
                self.out.field(self.name, value);
            }
        }
    }

    /// Records `value` under `name.field` (its own fields under
    /// `name.field.*`).
    pub fn field<T: Tags + ?Sized>(&mut self, field: &'static str, value: &T) {
        self.__at(keys::joined(self.name, field), value);
    }

    /// Records `value` under `key`, one level deeper. The key table of a
    /// derived impl joins the keys once per type and name.
    #[doc(hidden)]
    #[inline]
    pub fn __at<T: Tags + ?Sized>(&mut self, key: &'static str, value: &T) {
        if self.depth < MAX_TAG_DEPTH {
            value.record_tags(&mut TagWriter {
                out: &mut *self.out,
                name: key,
                depth: self.depth + 1,
            });
        }
    }

    /// Records `value`'s tags as this value's own (`#[tags(flatten)]`).
    #[doc(hidden)]
    #[inline]
    pub fn __flatten<T: Tags + ?Sized>(&mut self, value: &T) {
        let key = self.name;
        self.__at(key, value);
    }

    /// This writer under another name (`#[tags(prefix = "..")]`).
    #[doc(hidden)]
    #[inline]
    pub fn __renamed(&mut self, name: &'static str) -> TagWriter<'_> {
        TagWriter {
            out: &mut *self.out,
            name,
            depth: self.depth,
        }
    }

    /// Records the variant `name` of an enum as this value's tag.
    #[doc(hidden)]
    #[inline]
    pub fn __variant(&mut self, name: &'static str) {
        if !self.name.is_empty() {
            self.out.field(self.name, TagValue::from(name));
        }
    }

    /// Records `value`'s `Debug` text under `key` (`#[tags(debug)]`).
    #[doc(hidden)]
    #[inline(never)]
    pub fn __debug_at(&mut self, key: &'static str, value: &dyn fmt::Debug) {
        self.formatted(key, format_args!("{value:?}"));
    }

    /// Records `value`'s `Display` text under `key` (`#[tags(display)]`).
    #[doc(hidden)]
    #[inline(never)]
    pub fn __display_at(&mut self, key: &'static str, value: &dyn fmt::Display) {
        self.formatted(key, format_args!("{value}"));
    }

    /// Records `[redacted]` under `key` (`#[tags(redact)]`).
    #[doc(hidden)]
    #[inline(never)]
    pub fn __redacted_at(&mut self, key: &'static str) {
        if !key.is_empty() && self.depth < MAX_TAG_DEPTH {
            self.out.field(key, TagValue::from(REDACTED));
        }
    }

    fn formatted(&mut self, key: &'static str, text: fmt::Arguments<'_>) {
        if !key.is_empty() && self.depth < MAX_TAG_DEPTH {
            let value = crate::cut::format(text, self.out.limit());
            self.out.field(key, TagValue::Str(value));
        }
    }

    /// The typed writes of leaf values, each compiled once.
    #[inline(always)]
    fn int(&mut self, value: i64) {
        if !self.name.is_empty() {
            self.out.field(self.name, TagValue::I64(value));
        }
    }

    #[inline(always)]
    fn uint(&mut self, value: u64) {
        if !self.name.is_empty() {
            self.out.field(self.name, TagValue::from(value));
        }
    }

    #[inline(always)]
    fn float(&mut self, value: f64) {
        if !self.name.is_empty() {
            self.out.field(self.name, TagValue::F64(value));
        }
    }

    #[inline(always)]
    fn boolean(&mut self, value: bool) {
        if !self.name.is_empty() {
            self.out.field(self.name, TagValue::Bool(value));
        }
    }

    #[inline(always)]
    fn text(&mut self, value: &str) {
        if !self.name.is_empty() {
            let value = TagValue::Str(crate::cut::text(value, self.out.limit()));
            self.out.field(self.name, value);
        }
    }
}
