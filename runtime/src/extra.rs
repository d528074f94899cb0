//! The tag box: what a span records besides its ids, name and times (tags,
//! logs, follows-from references), behind one optional box so a span
//! without them is small. This module alone touches its fields, and keeps
//! its one invariant: `tag_keys` summarises the keys in `tags`.
//!
//! The summary has one bit per key (from its length and first and last
//! bytes); a key whose bit is clear is surely new and is pushed without a
//! search. All ones means "unknown, search": what a box of argument tags,
//! pushed without summarising, carries. Emptying a box clears it.
//!
//! Boxes circulate: the exporter thread moves the contents out (keeping
//! the vectors' capacity) and returns the box to the pipeline, producers
//! take boxes from their thread's pool (`local/extras.rs`), refilled when
//! the thread queues a full chunk and when it flushes. In steady state a
//! span with tags allocates nothing.

use std::borrow::Cow;

use crate::identity::SpanContext;
use crate::in_place::{push_in_place, push_pair_in_place};
use crate::record::{Field, LogRecord, SpanRecord};
use crate::tag::TagValue;

/// Emptied boxes a thread keeps at most.
pub(crate) const MAX_THREAD_EXTRAS: usize = 256;

/// What a span recorded besides its ids, name and times.
#[derive(Clone, Default)]
pub(crate) struct Extra {
    tags: Vec<Field>,
    /// A summary of the keys in `tags` (see the module docs); all ones
    /// when unknown. A bit may stand for several keys, so it says only
    /// which keys are surely new.
    tag_keys: u64,
    logs: Vec<LogRecord>,
    follows_from: Vec<SpanContext>,
}

impl Extra {
    /// An empty box with room for `tags` tags.
    pub(crate) fn with_room(tags: usize) -> Box<Extra> {
        Box::new(Extra {
            tags: Vec::with_capacity(tags),
            ..Extra::default()
        })
    }

    /// This box with nothing in it (its room kept).
    pub(crate) fn emptied(mut self: Box<Self>) -> Box<Self> {
        self.tags.clear();
        self.tag_keys = 0;
        self.logs.clear();
        self.follows_from.clear();
        self
    }

    /// The tags, in the order set.
    pub(crate) fn tags(&self) -> &[Field] {
        &self.tags
    }

    /// Sets the tag `key`, replacing an earlier value. A key whose bit is
    /// not in the summary of the keys set so far is new: it is added
    /// without looking through the others (a span's keys are nearly always
    /// distinct, and the search grew with each tag).
    pub(crate) fn set_tag(&mut self, key: Cow<'static, str>, value: TagValue) {
        if self.tag_keys & key_bit(&key) != 0
            && let Some(slot) = self.tags.iter_mut().find(|(k, _)| same_key(k, &key))
        {
            slot.1 = value;
            return;
        }
        self.push_new(key, value);
    }

    /// Whether `key` is surely not set yet and the tags have room for it.
    #[inline(always)]
    pub(crate) fn has_room_for_new(&self, key: &str) -> bool {
        self.tag_keys & key_bit(key) == 0 && self.tags.len() < self.tags.capacity()
    }

    /// Adds the tag `key`, which is not set yet.
    #[inline(always)]
    pub(crate) fn push_new(&mut self, key: Cow<'static, str>, value: TagValue) {
        self.tag_keys |= key_bit(&key);
        push_pair_in_place(&mut self.tags, key, value);
    }

    /// Lets `append` add tags whose keys have the summary `keys` (a tag
    /// set's, made once), when none of them may be set already (the two
    /// summaries share no bit); says whether it did.
    #[inline]
    pub(crate) fn append_new_set(
        &mut self,
        keys: u64,
        append: impl FnOnce(&mut Vec<Field>),
    ) -> bool {
        if self.tag_keys & keys != 0 {
            return false;
        }
        append(&mut self.tags);
        self.tag_keys |= keys;
        true
    }

    /// Sets each tag of `other` (each replacing one of the same key), and
    /// leaves `other` emptied of tags.
    pub(crate) fn set_tags_of(&mut self, other: &mut Extra) {
        for (key, value) in other.tags.drain(..) {
            self.set_tag(key, value);
        }
        other.tag_keys = 0;
    }

    /// Adds the tags of `other`, whose keys are known to be new here, and
    /// leaves `other` emptied of tags.
    pub(crate) fn append_tags_of(&mut self, other: &mut Extra) {
        self.tags.append(&mut other.tags);
        self.tag_keys |= other.tag_keys;
        other.tag_keys = 0;
    }

    /// Adds a log.
    pub(crate) fn push_log(&mut self, log: LogRecord) {
        self.logs.push(log);
    }

    /// Adds a follows-from reference.
    pub(crate) fn push_follows_from(&mut self, cause: SpanContext) {
        self.follows_from.push(cause);
    }

    /// Moves everything into `record` (after what it holds) and leaves
    /// this box emptied, its room kept. The tags `record` holds already
    /// are a template's, whose keys have the summary `template_keys`
    /// (`0` for none): a tag of this box with one of their keys replaces
    /// the template's value in its place, as `set_tag` would have.
    pub(crate) fn move_into(&mut self, record: &mut SpanRecord, template_keys: u64) {
        if self.tag_keys & template_keys == 0 {
            record.tags.append(&mut self.tags);
        } else {
            let template = record.tags.len();
            for (key, value) in self.tags.drain(..) {
                match record.tags[..template]
                    .iter_mut()
                    .find(|(k, _)| same_key(k, &key))
                {
                    Some(slot) => slot.1 = value,
                    None => record.tags.push((key, value)),
                }
            }
        }
        self.tag_keys = 0;
        record.logs.append(&mut self.logs);
        record.follows_from.append(&mut self.follows_from);
    }

    /// Fetches the box and its tags into this core's first cache level
    /// alone, before the exporter thread moves the tags out: the box goes
    /// back to a producer, which would otherwise first take each line from
    /// this core to write into it again (see `read_once::read_soon`).
    #[inline(always)]
    pub(crate) fn read_soon(&self) {
        crate::read_once::read_soon((self as *const Extra).cast(), std::mem::size_of::<Extra>());
        crate::read_once::read_soon(
            self.tags.as_ptr().cast(),
            std::mem::size_of_val(self.tags.as_slice()),
        );
    }
}

/// A box of tags pushed as they come, with no summary of their keys (a
/// traced call's argument tags, gathered off the scope stack): a writer
/// that does not keep the summary can only reach the tags through this,
/// whose box says "unknown" from the start.
pub(crate) struct Unsummarized(Box<Extra>);

impl Unsummarized {
    /// A box from `fresh` (the thread's pool), with room for `count` more
    /// tags, its summary set to unknown.
    pub(crate) fn new(mut extra: Box<Extra>, count: usize) -> Unsummarized {
        extra.tags.reserve(count);
        extra.tag_keys = u64::MAX;
        Unsummarized(extra)
    }

    /// How many tags.
    pub(crate) fn len(&self) -> usize {
        self.0.tags.len()
    }

    /// Adds a tag, written straight into its slot.
    #[inline(always)]
    pub(crate) fn push(&mut self, key: &'static str, value: TagValue) {
        push_in_place(&mut self.0.tags, (Cow::Borrowed(key), value));
    }

    /// The first `len` tags alone.
    pub(crate) fn truncate(&mut self, len: usize) {
        self.0.tags.truncate(len);
    }

    /// The tags from `at` on, moved into `into` (a fresh box).
    pub(crate) fn split_off(&mut self, at: usize, into: Box<Extra>) -> Unsummarized {
        let mut rest = Unsummarized::new(into, self.len().saturating_sub(at));
        rest.0.tags.extend(self.0.tags.drain(at..));
        rest
    }

    /// The box, its summary still unknown.
    pub(crate) fn into_box(self) -> Box<Extra> {
        self.0
    }
}

/// Whether two keys are the same: lengths and the first and last bytes
/// first, as keys of a span mostly differ there (`server.port`,
/// `client.port`), before a whole comparison.
#[inline]
fn same_key(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.first() == b.first() && a.last() == b.last() && a == b
}

/// The summary of `keys`: the bits of all of them.
pub(crate) fn key_summary<'a>(keys: impl Iterator<Item = &'a str>) -> u64 {
    keys.fold(0, |summary, key| summary | key_bit(key))
}

/// The bit of `key` in a summary of keys: from its length and its first
/// and last bytes, where the keys of a span mostly differ.
#[inline(always)]
fn key_bit(key: &str) -> u64 {
    let bytes = key.as_bytes();
    let (first, last) = match bytes {
        [] => (0, 0),
        [first, .., last] => (*first, *last),
        [only] => (*only, *only),
    };
    let mixed =
        (bytes.len() as u32).wrapping_mul(0x9E37_79B1) ^ u32::from(first) << 8 ^ u32::from(last);
    1 << (mixed.wrapping_mul(0x85EB_CA6B) >> 26)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(extra: &Extra) -> Vec<&str> {
        extra.tags().iter().map(|(key, _)| &**key).collect()
    }

    #[test]
    fn a_tag_set_again_replaces_the_first_among_many() {
        let mut extra = Extra::default();
        let names: Vec<String> = (0..200).map(|n| format!("key.{n}")).collect();
        for (n, name) in names.iter().enumerate() {
            extra.set_tag(Cow::Owned(name.clone()), TagValue::I64(n as i64));
        }
        // Each key again: replaced in place, found by the search.
        for (n, name) in names.iter().enumerate() {
            extra.set_tag(Cow::Owned(name.clone()), TagValue::I64(-(n as i64)));
        }
        assert_eq!(extra.tags().len(), 200);
        assert_eq!(extra.tags()[7].1, TagValue::I64(-7));
    }

    #[test]
    fn keys_that_share_a_bit_are_kept_apart() {
        // Same length, first and last bytes: the same bit.
        let mut extra = Extra::default();
        extra.set_tag("server.port".into(), TagValue::I64(1));
        extra.set_tag("sXXXXXXXXXt".into(), TagValue::I64(2));
        extra.set_tag("server.port".into(), TagValue::I64(3));
        assert_eq!(keys(&extra), ["server.port", "sXXXXXXXXXt"]);
        assert_eq!(extra.tags()[0].1, TagValue::I64(3));
    }

    #[test]
    fn an_emptied_box_forgets_its_keys() {
        let mut extra = Box::new(Extra::default());
        extra.set_tag("a".into(), TagValue::Bool(true));
        let mut extra = extra.emptied();
        assert_eq!(extra.tag_keys, 0);
        extra.set_tag("a".into(), TagValue::Bool(false));
        assert_eq!(keys(&extra), ["a"]);
    }

    #[test]
    fn tags_added_without_a_summary_are_still_searched() {
        let mut extra = Extra::default();
        extra.set_tag("user".into(), TagValue::I64(1));
        let mut args = Unsummarized::new(Box::default(), 1);
        args.push("id", TagValue::I64(2));
        extra.append_tags_of(&mut args.into_box());
        extra.set_tag("id".into(), TagValue::I64(3));
        assert_eq!(keys(&extra), ["user", "id"]);
        assert_eq!(extra.tags()[1].1, TagValue::I64(3));
    }

    #[test]
    fn moved_into_a_record_the_box_is_empty_and_forgets_its_keys() {
        let mut extra = Extra::default();
        extra.set_tag("a".into(), TagValue::I64(1));
        extra.push_log(LogRecord {
            timestamp: std::time::SystemTime::UNIX_EPOCH,
            fields: Vec::new(),
        });
        let mut record = crate::export::raw::empty_record();
        extra.move_into(&mut record, 0);
        assert_eq!(record.tags.len(), 1);
        assert_eq!(record.logs.len(), 1);
        assert!(extra.tags().is_empty() && extra.logs.is_empty());
        assert_eq!(extra.tag_keys, 0);
    }
}
