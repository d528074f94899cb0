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
    /// No key or value owns memory (keys `'static`, texts `'static` or
    /// inline): a copy of the tags' bytes is then a clone of them.
    owns_nothing: bool,
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
        // Every variant is named, so a new one must say whether it owns
        // memory: `clone_into` relies on it.
        let owns_nothing = kept.iter().all(|(key, value)| {
            let value_owns = match value {
                TagValue::Bool(_) | TagValue::I64(_) | TagValue::U64(_) | TagValue::F64(_) => false,
                TagValue::Str(text) => text.owns_heap(),
            };
            matches!(key, Cow::Borrowed(_)) && !value_owns
        });
        TagSet {
            tags: kept.into_boxed_slice(),
            keys,
            longest,
            owns_nothing,
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

    /// Appends a clone of each tag to `tags`. When none owns memory (the
    /// common case: an integration's keys and interned texts), the clone
    /// is a copy of their bytes, where cloning them one by one takes a
    /// match on each key and each value (about 60 instructions a tag).
    #[inline]
    pub(crate) fn clone_into(&self, tags: &mut Vec<Field>) {
        if !self.owns_nothing {
            tags.extend_from_slice(&self.tags);
            return;
        }
        tags.reserve(self.tags.len());
        // SAFETY: the room was reserved above. Every field is a
        // `Cow::Borrowed` key and a value that owns no memory (a number,
        // a boolean, a `'static` or inline text), as `owns_nothing`
        // says; the set is never changed after it was made. The copy of
        // such a value's bytes is a value of its own whose drop frees
        // nothing, as the original's does not: the copies and the set
        // can be dropped independently.
        unsafe {
            let len = tags.len();
            std::ptr::copy_nonoverlapping(
                self.tags.as_ptr(),
                tags.as_mut_ptr().add(len),
                self.tags.len(),
            );
            tags.set_len(len + self.tags.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Text;

    #[test]
    fn tags_cloned_by_their_bytes_or_one_by_one_are_the_same_and_their_own() {
        let long = "a text too long to be kept inline, so on the heap".to_owned();
        let owns_nothing = TagSet::new([
            ("int", TagValue::I64(-3)),
            ("static", TagValue::from("static text")),
            ("inline", TagValue::Str(Text::new("short"))),
        ]);
        let owns_heap = TagSet::new([("long", TagValue::from(long.clone()))]);
        let owned_key = TagSet::new([(Cow::Owned("key".to_owned()), TagValue::Bool(true))]);
        assert!(owns_nothing.owns_nothing);
        assert!(!owns_heap.owns_nothing && !owned_key.owns_nothing);
        for set in [&owns_nothing, &owns_heap, &owned_key] {
            let mut tags: Vec<Field> = vec![("first".into(), TagValue::Bool(false))];
            set.clone_into(&mut tags);
            set.clone_into(&mut tags);
            let n = set.tags().len();
            assert_eq!(tags.len(), 1 + 2 * n);
            assert_eq!(&tags[1..=n], set.tags());
            assert_eq!(&tags[1 + n..], set.tags());
            // The copies go first; the set, still whole, after them.
            drop(tags);
            assert_eq!(set.tags().len(), n);
        }
        assert_eq!(owns_heap.tags()[0].1.as_str(), Some(long.as_str()));
    }
}
