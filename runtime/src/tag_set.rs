//! Tags made once and set on many spans: what an integration knows of a
//! connection or a statement before its calls (the database's system and
//! name, a statement's summary and text). Setting a set copies its tags
//! into the span in one step, where setting them one by one would check
//! each key and each length again at every call.

use std::borrow::Cow;

use crate::extra::key_summary;
use crate::record::Field;
use crate::tag::TagValue;

/// Tags made once, to be set together on many spans with
/// [`SpanBuilder::set_tag_set`](crate::SpanBuilder::set_tag_set). A key
/// given twice keeps its last value, as `set_tag` does.
///
/// ```
/// use tracekit_runtime::{TagSet, testing};
///
/// let database = TagSet::new([("db.system.name", "postgresql"), ("db.namespace", "shop")]);
/// let (_, spans) = testing::capture(|| {
///     for _ in 0..2 {
///         let mut builder = tracekit_runtime::global().span("SELECT orders");
///         builder.set_tag_set(&database).set_tag("db.operation.name", "SELECT");
///         builder.start().finish();
///     }
/// });
/// assert_eq!(spans.len(), 2);
/// assert_eq!(spans[1].tag("db.namespace").and_then(|v| v.as_str()), Some("shop"));
/// assert_eq!(spans[1].tags.len(), 3);
/// ```
#[derive(Clone, Debug, Default)]
pub struct TagSet {
    tags: Box<[Field]>,
    /// The summary of the keys, as a span's tag box keeps it.
    keys: u64,
    /// The longest key or string value, in bytes: a set within a
    /// tracer's limit is copied as it is.
    longest: usize,
}

impl TagSet {
    /// The set of `tags`, in order; a key given twice keeps its last
    /// value, in the place of its first.
    pub fn new<K, V>(tags: impl IntoIterator<Item = (K, V)>) -> TagSet
    where
        K: Into<Cow<'static, str>>,
        V: Into<TagValue>,
    {
        let mut kept: Vec<Field> = Vec::new();
        for (key, value) in tags {
            let (key, value) = (key.into(), value.into());
            match kept.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => kept.push((key, value)),
            }
        }
        let keys = key_summary(kept.iter().map(|(key, _)| key.as_ref()));
        let longest = kept
            .iter()
            .map(|(key, value)| key.len().max(value.as_str().map_or(0, str::len)))
            .max()
            .unwrap_or(0);
        TagSet {
            tags: kept.into_boxed_slice(),
            keys,
            longest,
        }
    }

    /// The tags, in order.
    ///
    /// ```
    /// let set = tracekit_runtime::TagSet::new([("a", 1), ("b", 2), ("a", 3)]);
    /// let keys: Vec<&str> = set.tags().iter().map(|(key, _)| key.as_ref()).collect();
    /// assert_eq!(keys, ["a", "b"]);
    /// assert_eq!(set.tags()[0].1.as_i64(), Some(3));
    /// ```
    pub fn tags(&self) -> &[Field] {
        &self.tags
    }

    /// Whether it holds no tag.
    ///
    /// ```
    /// assert!(tracekit_runtime::TagSet::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    /// The summary of its keys, as a span's tag box keeps one.
    pub(crate) fn keys(&self) -> u64 {
        self.keys
    }

    /// Whether every key and string value is within `limit` bytes.
    pub(crate) fn fits(&self, limit: usize) -> bool {
        self.longest <= limit
    }
}
