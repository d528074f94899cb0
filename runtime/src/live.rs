//! The state of a span that has started and not finished, and what can be
//! done to it. A span's state lives either behind a lock (a shared span,
//! which may cross threads) or inline in its thread's scope stack (a local
//! span: a traced synchronous call, which never leaves its thread).

use std::borrow::Cow;

use crate::context::{Baggage, SpanContext, SpanId, TraceId, TraceState};
use crate::export::raw::{Extra, RawSpan};
use crate::record::{Field, LogRecord, SpanKind};
use crate::tag::TagValue;

/// A started, unfinished span.
pub(crate) struct LiveSpan {
    pub(crate) trace_id: TraceId,
    pub(crate) span_id: SpanId,
    pub(crate) sampled: bool,
    pub(crate) baggage: Baggage,
    /// Inherited from the parent and passed on unchanged.
    pub(crate) trace_state: TraceState,
    /// `None` when the span is not sampled or already finished.
    pub(crate) data: Option<SpanData>,
}

/// What a sampled span records.
pub(crate) struct SpanData {
    pub(crate) name: Cow<'static, str>,
    pub(crate) kind: SpanKind,
    pub(crate) parent_id: Option<SpanId>,
    pub(crate) parent_is_remote: bool,
    /// A clock stamp (`clock::now`).
    pub(crate) start: u64,
    /// Tags, logs and references, boxed on first use: most spans have none.
    pub(crate) extra: Option<Box<Extra>>,
}

impl SpanData {
    fn extra(&mut self) -> &mut Extra {
        self.extra.get_or_insert_with(Extra::fresh)
    }
}

impl LiveSpan {
    /// The placeholder state of noop spans.
    pub(crate) const NOOP: LiveSpan = LiveSpan {
        trace_id: TraceId::INVALID,
        span_id: SpanId::PLACEHOLDER,
        sampled: false,
        baggage: Baggage::new(),
        trace_state: TraceState::new(),
        data: None,
    };

    pub(crate) fn context(&self) -> SpanContext {
        SpanContext::new(self.trace_id, self.span_id, self.sampled)
            .with_baggage(self.baggage.clone())
            .with_trace_state(self.trace_state.clone())
    }

    pub(crate) fn is_recording(&self) -> bool {
        self.data.is_some()
    }

    /// Sets several tags at once (the arguments of a traced call).
    pub(crate) fn set_tags(&mut self, tags: impl IntoIterator<Item = (&'static str, TagValue)>) {
        if let Some(data) = &mut self.data {
            let fields = &mut data.extra().tags;
            for (key, value) in tags {
                set_field(fields, Cow::Borrowed(key), value);
            }
        }
    }

    /// Sets `key`, replacing an earlier value.
    pub(crate) fn set_tag(&mut self, key: Cow<'static, str>, value: TagValue) {
        if let Some(data) = &mut self.data {
            set_field(&mut data.extra().tags, key, value);
        }
    }

    pub(crate) fn log(&mut self, log: LogRecord) {
        if let Some(data) = &mut self.data {
            data.extra().logs.push(log);
        }
    }

    pub(crate) fn rename(&mut self, name: Cow<'static, str>) {
        if let Some(data) = &mut self.data {
            data.name = name;
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
        let data = self.data.take()?;
        Some(RawSpan {
            name: data.name,
            trace_id: self.trace_id,
            span_id: self.span_id,
            parent_id: data.parent_id,
            parent_is_remote: data.parent_is_remote,
            kind: data.kind,
            start: data.start,
            end,
            baggage: self.baggage.clone(),
            extra: data.extra,
        })
    }
}

/// Sets `key` in `fields`, replacing an earlier value.
pub(crate) fn set_field(fields: &mut Vec<Field>, key: Cow<'static, str>, value: TagValue) {
    match fields.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => fields.push((key, value)),
    }
}
