//! The compact form a finished span travels in, from the thread that
//! finished it to the exporter thread. It holds only what every span has;
//! tags, logs and references sit behind one optional box, so a span without
//! them is small to write, to move and to drop. The exporter thread (or an
//! open test capture) turns it into the public [`SpanRecord`].

use std::borrow::Cow;

use crate::clock;
use crate::context::{Baggage, SpanContext, SpanId, TraceId};
use crate::record::{Field, LogRecord, SpanKind, SpanRecord};

/// What a span recorded besides its ids, name and times.
#[derive(Clone, Default)]
pub(crate) struct Extra {
    pub(crate) tags: Vec<Field>,
    pub(crate) logs: Vec<LogRecord>,
    pub(crate) follows_from: Vec<SpanContext>,
}

/// A finished span, as buffered and queued.
pub(crate) struct RawSpan {
    pub(crate) name: Cow<'static, str>,
    pub(crate) trace_id: TraceId,
    pub(crate) span_id: SpanId,
    pub(crate) parent_id: Option<SpanId>,
    pub(crate) parent_is_remote: bool,
    pub(crate) kind: SpanKind,
    /// Clock stamps (`clock::now`), converted to wall time on export.
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) baggage: Baggage,
    pub(crate) extra: Option<Box<Extra>>,
}

impl RawSpan {
    /// The public record, consuming the raw span (on the exporter thread).
    pub(crate) fn into_record(self) -> SpanRecord {
        let Extra {
            tags,
            logs,
            follows_from,
        } = self.extra.map(|extra| *extra).unwrap_or_default();
        SpanRecord {
            name: self.name,
            trace_id: self.trace_id,
            span_id: self.span_id,
            parent_id: self.parent_id,
            parent_is_remote: self.parent_is_remote,
            kind: self.kind,
            start: clock::to_system_time(self.start),
            end: clock::to_system_time(self.end).max(clock::to_system_time(self.start)),
            tags,
            logs,
            follows_from,
            baggage: self.baggage,
        }
    }

    /// A copy as a public record (for a test capture; the span itself goes
    /// on to the exporters).
    pub(crate) fn to_record(&self) -> SpanRecord {
        RawSpan {
            name: self.name.clone(),
            baggage: self.baggage.clone(),
            extra: self.extra.clone(),
            ..*self
        }
        .into_record()
    }
}
