//! The state of a span that has started and not finished, and what can be
//! done to it. A span's state lives either behind a lock (a shared span,
//! which may cross threads) or in the scope stack of the thread running it
//! (a local span: a traced call's; an async call's moves with its future
//! between polls).

use std::borrow::Cow;
use std::mem::MaybeUninit;

use crate::export::raw::RawSpan;
use crate::extra::Extra;
use crate::identity::{Baggage, SpanContext, SpanId, TraceId, TraceState};
use crate::record::{LogRecord, SpanKind};
use crate::tag::TagValue;
use crate::tag_set::TagSet;

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
    /// Tags made once and referred to (a builder's
    /// [`tag_template`](crate::SpanBuilder::tag_template)),
    /// recorded before those of `extra`.
    pub(crate) template: Option<&'static TagSet>,
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
        template: None,
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
        extra.set_tags_of(&mut args);
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
                extra.append_tags_of(&mut args);
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
            extra.push_log(log);
        }
    }

    pub(crate) fn add_follows_from(&mut self, cause: SpanContext) {
        if let Some(extra) = self.extra() {
            extra.push_follows_from(cause);
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
            template,
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
            template: *template,
            extra: extra.take(),
        }
    }

    /// Ends the recording span at `live` (the caller checked) at `end`,
    /// moving every field into `slot` where it lies. Nothing is written
    /// back: the span is gone afterwards.
    ///
    /// # Safety
    ///
    /// `live` points to a span that nothing uses or drops after this call.
    #[inline(always)]
    pub(crate) unsafe fn move_out(live: *mut LiveSpan, end: u64, slot: &mut MaybeUninit<RawSpan>) {
        // Every field of the slot is written below: this pattern stops
        // compiling when one is added.
        let _ = |RawSpan {
                     name: _,
                     trace_id: _,
                     span_id: _,
                     parent_id: _,
                     parent_is_remote: _,
                     random_trace_id: _,
                     kind: _,
                     trace_state: _,
                     start: _,
                     end: _,
                     baggage: _,
                     template: _,
                     extra: _,
                 }| ();
        let raw = slot.as_mut_ptr();
        // SAFETY: `live` is valid and given up by the caller, so each field
        // is read once and owned by the slot from here on; `raw` points to
        // the slot, and every field of it is written.
        unsafe {
            let live = &*live;
            (&raw mut (*raw).name).write(std::ptr::read(&live.name));
            (&raw mut (*raw).trace_id).write(live.trace_id);
            (&raw mut (*raw).span_id).write(live.span_id);
            (&raw mut (*raw).parent_id).write(live.parent_id);
            (&raw mut (*raw).parent_is_remote).write(live.parent_is_remote);
            (&raw mut (*raw).random_trace_id).write(live.random_trace_id);
            (&raw mut (*raw).kind).write(live.kind);
            (&raw mut (*raw).trace_state).write(std::ptr::read(&live.trace_state));
            (&raw mut (*raw).start).write(live.start);
            (&raw mut (*raw).end).write(end);
            (&raw mut (*raw).baggage).write(std::ptr::read(&live.baggage));
            (&raw mut (*raw).template).write(live.template);
            (&raw mut (*raw).extra).write(std::ptr::read(&live.extra));
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
            template: self.template,
            extra: self.extra.take(),
        }
    }
}
