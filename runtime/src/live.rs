//! The state of a span that has started and not finished, and what can be
//! done to it. A span's state lives either behind a lock (a shared span,
//! which may cross threads) or in the scope stack of the thread running it
//! (a local span: a traced call's; an async call's moves with its future
//! between polls).

use std::borrow::Cow;

use crate::export::raw::{Extra, RawSpan};
use crate::identity::{Baggage, SpanContext, SpanId, TraceId, TraceState};
use crate::record::{LogRecord, SpanKind};
use crate::tag::TagValue;

/// A started, unfinished span. Flat, so starting one writes its fields
/// straight into its stack slot.
pub(crate) struct LiveSpan {
    pub(crate) trace_id: TraceId,
    pub(crate) span_id: SpanId,
    pub(crate) parent_id: Option<SpanId>,
    /// A clock stamp (`clock::now`).
    pub(crate) start: u64,
    pub(crate) name: Cow<'static, str>,
    pub(crate) baggage: Baggage,
    /// Inherited from the parent and passed on unchanged.
    pub(crate) trace_state: TraceState,
    /// Tags, logs and references, boxed on first use: most spans have none.
    pub(crate) extra: Option<Box<Extra>>,
    pub(crate) kind: SpanKind,
    pub(crate) sampled: bool,
    /// W3C's random flag, the same for the whole trace.
    pub(crate) random_trace_id: bool,
    /// Sampled and not finished yet: what is set now is kept.
    pub(crate) recording: bool,
    pub(crate) parent_is_remote: bool,
}

impl LiveSpan {
    /// The placeholder state of noop spans.
    pub(crate) const NOOP: LiveSpan = LiveSpan {
        trace_id: TraceId::INVALID,
        span_id: SpanId::PLACEHOLDER,
        parent_id: None,
        start: 0,
        name: Cow::Borrowed(""),
        baggage: Baggage::new(),
        trace_state: TraceState::new(),
        extra: None,
        kind: SpanKind::Internal,
        sampled: false,
        random_trace_id: false,
        recording: false,
        parent_is_remote: false,
    };

    pub(crate) fn context(&self) -> SpanContext {
        SpanContext::new(self.trace_id, self.span_id, self.sampled)
            .with_random_trace_id(self.random_trace_id)
            .with_baggage(self.baggage.clone())
            .with_trace_state(self.trace_state.clone())
    }

    pub(crate) fn is_recording(&self) -> bool {
        self.recording
    }

    /// Where tags, logs and references go; `None` once nothing is kept.
    fn extra(&mut self) -> Option<&mut Extra> {
        self.recording
            .then(|| &mut **self.extra.get_or_insert_with(Extra::fresh))
    }

    /// Sets the argument tags gathered in `args`, each replacing a tag of
    /// the same key set before (by a `before_call` hook).
    pub(crate) fn set_arg_tags(&mut self, args: Box<Extra>) {
        let Some(extra) = self.extra() else {
            return;
        };
        let mut args = args;
        for (key, value) in args.tags.drain(..) {
            extra.set_tag(key, value);
        }
        args.give_back();
    }

    /// Adds the argument tags gathered in `args` (see
    /// [`ArgTags`](crate::__private_0_1::ArgTags)). Their keys are distinct from
    /// any set before: `tags(..)` keys are not recorded as arguments.
    pub(crate) fn add_arg_tags(&mut self, mut args: Box<Extra>) {
        if !self.recording {
            return;
        }
        match &mut self.extra {
            None => self.extra = Some(args),
            Some(extra) => {
                extra.tags.append(&mut args.tags);
                extra.tag_keys |= args.tag_keys;
                args.give_back();
            }
        }
    }

    /// Sets `key`, replacing an earlier value.
    pub(crate) fn set_tag(&mut self, key: Cow<'static, str>, value: TagValue) {
        if let Some(extra) = self.extra() {
            extra.set_tag(key, value);
        }
    }

    pub(crate) fn log(&mut self, log: LogRecord) {
        if let Some(extra) = self.extra() {
            extra.logs.push(log);
        }
    }

    pub(crate) fn rename(&mut self, name: Cow<'static, str>) {
        if self.recording {
            self.name = name;
        }
    }

    pub(crate) fn set_baggage_item(&mut self, key: String, value: String) {
        if self.trace_id.is_valid() {
            self.baggage = self.baggage.with(key, value);
        }
    }

    /// Ends the span at `end` (a clock stamp); `None` if it records
    /// nothing or already ended.
    #[inline]
    pub(crate) fn finish(&mut self, end: u64) -> Option<RawSpan> {
        self.recording.then(|| self.finish_recording(end))
    }

    /// Ends a recording span (the caller checked) at `end`, moving out
    /// everything it owns: for a span about to leave the stack, whose
    /// emptied state then needs no drop.
    #[inline(always)]
    pub(crate) fn finish_leaving(&mut self, end: u64) -> RawSpan {
        // Every field named: one added later must be emptied here too.
        let LiveSpan {
            trace_id,
            span_id,
            parent_id,
            start,
            name,
            baggage,
            trace_state,
            extra,
            kind,
            sampled: _,
            random_trace_id,
            recording,
            parent_is_remote,
        } = self;
        *recording = false;
        RawSpan {
            name: std::mem::take(name),
            trace_id: *trace_id,
            span_id: *span_id,
            parent_id: *parent_id,
            parent_is_remote: *parent_is_remote,
            random_trace_id: *random_trace_id,
            kind: *kind,
            trace_state: std::mem::take(trace_state),
            start: *start,
            end,
            baggage: std::mem::take(baggage),
            extra: extra.take(),
        }
    }

    /// Ends a span that is recording (the caller checked) at `end`.
    #[inline(always)]
    pub(crate) fn finish_recording(&mut self, end: u64) -> RawSpan {
        self.recording = false;
        RawSpan {
            name: std::mem::take(&mut self.name),
            trace_id: self.trace_id,
            span_id: self.span_id,
            parent_id: self.parent_id,
            parent_is_remote: self.parent_is_remote,
            random_trace_id: self.random_trace_id,
            kind: self.kind,
            trace_state: self.trace_state.clone(),
            start: self.start,
            end,
            baggage: self.baggage.clone(),
            extra: self.extra.take(),
        }
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

impl Extra {
    /// Fetches the box and its tags into this core's first cache level
    /// alone, before the exporter thread moves the tags out: the box goes
    /// back to a producer, which would otherwise first take each line from
    /// this core to write into it again (see `Chunk::read_soon`).
    #[inline(always)]
    pub(crate) fn read_soon(&self) {
        crate::export::read_soon((self as *const Extra).cast(), std::mem::size_of::<Extra>());
        crate::export::read_soon(
            self.tags.as_ptr().cast(),
            std::mem::size_of_val(self.tags.as_slice()),
        );
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
        crate::in_place::push_pair_in_place(&mut self.tags, key, value);
    }
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
        extra.tags.iter().map(|(key, _)| &**key).collect()
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
        assert_eq!(extra.tags.len(), 200);
        assert_eq!(extra.tags[7].1, TagValue::I64(-7));
    }

    #[test]
    fn keys_that_share_a_bit_are_kept_apart() {
        // Same length, first and last bytes: the same bit.
        let mut extra = Extra::default();
        extra.set_tag("server.port".into(), TagValue::I64(1));
        extra.set_tag("sXXXXXXXXXt".into(), TagValue::I64(2));
        extra.set_tag("server.port".into(), TagValue::I64(3));
        assert_eq!(keys(&extra), ["server.port", "sXXXXXXXXXt"]);
        assert_eq!(extra.tags[0].1, TagValue::I64(3));
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
        let mut span = LiveSpan::NOOP;
        span.recording = true;
        span.set_tag("user".into(), TagValue::I64(1));
        let mut args = Box::new(Extra::default());
        args.tags.push(("id".into(), TagValue::I64(2)));
        args.tag_keys = u64::MAX;
        span.add_arg_tags(args);
        span.set_tag("id".into(), TagValue::I64(3));
        let extra = span.extra.as_deref().expect("tags");
        assert_eq!(keys(extra), ["user", "id"]);
        assert_eq!(extra.tags[1].1, TagValue::I64(3));
    }
}
