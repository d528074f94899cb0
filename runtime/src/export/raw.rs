//! The compact form a finished span travels in, from the thread that
//! finished it to the exporter thread. It holds only what every span has;
//! tags, logs and references sit behind one optional box, so a span without
//! them is small to write, to move and to drop. The exporter thread (or an
//! open test capture) turns it into the public [`SpanRecord`].

#![allow(
    clippy::vec_box,
    reason = "an extra box moves whole between a span and the pools, never reallocated"
)]

use std::borrow::Cow;
use std::time::SystemTime;

use crate::clock::WallClock;
use crate::extra::Extra;
use crate::identity::{Baggage, SpanId, TraceId, TraceState};
use crate::record::{SpanKind, SpanRecord};
use crate::tag_set::TagSet;

/// A finished span, as buffered and queued.
pub(crate) struct RawSpan {
    pub(crate) name: Cow<'static, str>,
    pub(crate) trace_id: TraceId,
    pub(crate) span_id: SpanId,
    pub(crate) parent_id: Option<SpanId>,
    pub(crate) parent_is_remote: bool,
    /// W3C's random flag of the trace.
    pub(crate) random_trace_id: bool,
    pub(crate) kind: SpanKind,
    pub(crate) trace_state: TraceState,
    /// Clock stamps (`clock::now`), converted to wall time on export.
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) baggage: Baggage,
    /// Tags made once, recorded before those of `extra`.
    pub(crate) template: Option<&'static TagSet>,
    pub(crate) extra: Option<Box<Extra>>,
}

// Every span is written into a slot of this size and read back by the
// exporter thread: a field added must make room for itself (session 23
// made `TraceState` a thin pointer when the template came in).
const _: () = assert!(std::mem::size_of::<RawSpan>() <= 112);

impl RawSpan {
    /// Writes the span into `record` (a record of an earlier batch, so its
    /// tag vector is reused) and gives back the emptied extra box, if any.
    #[inline(always)]
    pub(crate) fn fill(self, record: &mut SpanRecord, clock: &WallClock) -> Option<Box<Extra>> {
        record.name = self.name;
        record.trace_id = self.trace_id;
        record.span_id = self.span_id;
        record.parent_id = self.parent_id;
        record.parent_is_remote = self.parent_is_remote;
        record.random_trace_id = self.random_trace_id;
        record.kind = self.kind;
        record.trace_state = self.trace_state;
        record.start = clock.system_time(self.start);
        record.end = clock.system_time(self.end).max(record.start);
        record.baggage = self.baggage;
        // Most records have none of these: a test, not a call to the
        // slices' drop, which the compiler does not always inline.
        clear(&mut record.tags);
        clear(&mut record.logs);
        clear(&mut record.follows_from);
        let template_keys = match self.template {
            Some(template) => {
                template.clone_into(&mut record.tags);
                template.keys()
            }
            None => 0,
        };
        let mut extra = self.extra?;
        extra.read_soon();
        extra.move_into(record, template_keys);
        Some(extra)
    }

    /// The public record, consuming the raw span.
    pub(crate) fn into_record(self) -> SpanRecord {
        let mut record = empty_record();
        self.fill(&mut record, &WallClock::current());
        record
    }

    /// A copy as a public record (for a test capture; the span itself goes
    /// on to the exporters).
    pub(crate) fn to_record(&self) -> SpanRecord {
        RawSpan {
            name: self.name.clone(),
            trace_state: self.trace_state.clone(),
            baggage: self.baggage.clone(),
            extra: self.extra.clone(),
            ..*self
        }
        .into_record()
    }
}

/// Empties `items`, with nothing to do when it is empty.
#[inline(always)]
fn clear<T>(items: &mut Vec<T>) {
    if !items.is_empty() {
        items.clear();
    }
}

/// A record to be filled.
pub(crate) fn empty_record() -> SpanRecord {
    SpanRecord {
        name: Cow::Borrowed(""),
        trace_id: TraceId::INVALID,
        span_id: SpanId::PLACEHOLDER,
        parent_id: None,
        parent_is_remote: false,
        random_trace_id: false,
        kind: SpanKind::Internal,
        trace_state: TraceState::new(),
        start: SystemTime::UNIX_EPOCH,
        end: SystemTime::UNIX_EPOCH,
        tags: Vec::new(),
        logs: Vec::new(),
        follows_from: Vec::new(),
        baggage: Baggage::new(),
    }
}
