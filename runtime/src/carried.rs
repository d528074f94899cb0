//! [`CarriedSpan`]: a span with one owner at a time, carried between polls
//! by the future or body that owns it and made active for each poll, the
//! way a `#[traced]` async function carries its span.

use std::borrow::Cow;
use std::mem::ManuallyDrop;
use std::sync::Arc;
use std::time::SystemTime;

use crate::clock;
use crate::export::Shared;
use crate::identity::{SpanContext, SpanId, TraceId};
use crate::live::LiveSpan;
use crate::local;
use crate::span::{SpanBuilder, SpanRef, SpanStart};
use crate::tag::TagValue;
use crate::tags::Tags;
use crate::tracer::{GlobalSink, Tracer, global};

/// A span owned by one future, body or task at a time, made by
/// [`SpanBuilder::start_carried`](crate::SpanBuilder::start_carried).
/// Between polls its state travels with its owner; [`in_scope`] makes it
/// the active span for the length of a call (one poll, say), on whatever
/// thread runs it. It finishes when [`finish`](Self::finish)ed or
/// dropped.
///
/// A [`Span`](crate::Span) may be active on several threads at once, so
/// its state sits behind a lock in a shared allocation, and each
/// activation counts a reference. A carried span has none of these: it
/// is for the span of a request or a call that one future drives (what
/// the HTTP layers of `tracekit-http` use). Spans started in
/// [`in_scope`] are its children; a [`SpanRef`] to it is only had inside
/// [`with_ref`], and does nothing after.
///
/// ```
/// use tracekit_runtime::{SpanKind, testing};
///
/// let (_, spans) = testing::capture(|| {
///     let tracer = tracekit_runtime::global();
///     let mut request = tracer.span("GET /cart").kind(SpanKind::Server).start_carried();
///     // One poll of the request's future: spans started in it are children.
///     request.in_scope(|| tracer.span("load cart").start().finish());
///     request.set_tag("http.response.status_code", 200);
///     request.finish();
/// });
/// assert_eq!(spans[0].name, "load cart");
/// assert_eq!(spans[0].parent_id, Some(spans[1].span_id));
/// assert_eq!(spans[1].tag("http.response.status_code").and_then(|v| v.as_i64()), Some(200));
/// ```
///
/// [`in_scope`]: Self::in_scope
/// [`with_ref`]: Self::with_ref
#[must_use = "a span finishes as soon as it is dropped"]
pub struct CarriedSpan {
    /// `None` for a noop span, and once finished. Never dropped as a
    /// field: the span's `Drop` takes it to finish it, so no drop of an
    /// emptied `Option` is called after.
    live: ManuallyDrop<Option<Box<LiveSpan>>>,
    /// The entry id the span takes whenever a poll lends it and something
    /// pushes it (see `local::lend`); drawn once.
    loan: u64,
    /// Where it goes when it finishes.
    destination: Destination,
    /// The tracer's cut for string tags.
    max_tag_len: usize,
}

/// The pipeline of a carried span: the global tracer's is looked up when
/// the span finishes, so that its spans hold no reference to count.
enum Destination {
    Global,
    Pipeline(Option<Arc<Shared>>),
}

impl SpanBuilder<'_> {
    /// Starts the span as a [`CarriedSpan`]: owned by one future or body at
    /// a time, made active for each of its polls, with no lock and no
    /// shared allocation.
    // Inline, so the caller's builder is read where it is, not copied into
    // an argument first.
    #[inline]
    pub fn start_carried(mut self) -> CarriedSpan {
        let span = CarriedSpan::start(&mut self.start, self.tracer);
        if span.live.is_some() {
            // A tracer that records moved every setting that owns anything
            // into the span (what it left behind owns nothing), so the
            // builder needs dropping only when the tracer records nothing:
            // its drop, out of line, is then off the common path.
            std::mem::forget(self);
        }
        span
    }
}

impl CarriedSpan {
    /// Starts the span `start` describes, written into the box of an
    /// earlier span when this thread has one.
    fn start(start: &mut SpanStart, tracer: &Tracer) -> CarriedSpan {
        let starter = tracer.starter();
        let live = starter.enabled.then(|| {
            local::with_thread(|stack| {
                let mut live = stack.spare_box();
                start.begin_into(starter, stack, &mut live);
                live
            })
        });
        CarriedSpan::new(live, tracer)
    }

    /// A span that records nothing and has no context.
    pub const fn noop() -> CarriedSpan {
        CarriedSpan {
            live: ManuallyDrop::new(None),
            loan: 0,
            destination: Destination::Global,
            max_tag_len: 0,
        }
    }

    /// A span of `tracer` with the state the start engine made (`None`:
    /// the tracer records nothing).
    pub(crate) fn new(live: Option<Box<LiveSpan>>, tracer: &Tracer) -> CarriedSpan {
        let destination = if tracer.is(global()) {
            Destination::Global
        } else {
            Destination::Pipeline(tracer.pipeline().cloned())
        };
        CarriedSpan {
            loan: if live.is_some() {
                local::next_entry_id()
            } else {
                0
            },
            live: ManuallyDrop::new(live),
            destination,
            max_tag_len: tracer.max_tag_len(),
        }
    }

    /// Whether this is a noop span (or one already finished).
    pub fn is_noop(&self) -> bool {
        self.live.is_none()
    }

    /// Whether tags set now will be exported: the span is sampled and not
    /// finished.
    pub fn is_recording(&self) -> bool {
        self.live.as_ref().is_some_and(|live| live.recording)
    }

    /// The span's context: ids, sampled flag and baggage (an invalid one
    /// for a noop span).
    pub fn context(&self) -> SpanContext {
        self.live.as_deref().unwrap_or(&LiveSpan::NOOP).context()
    }

    /// The trace this span belongs to.
    pub fn trace_id(&self) -> TraceId {
        self.live
            .as_ref()
            .map_or(TraceId::INVALID, |live| live.trace_id)
    }

    /// This span's id.
    pub fn span_id(&self) -> SpanId {
        self.live
            .as_ref()
            .map_or(SpanId::PLACEHOLDER, |live| live.span_id)
    }

    /// Sets the tag `key`, replacing an earlier value; keys and strings
    /// longer than the tracer's limit are cut. No lock: the span is this
    /// owner's alone.
    pub fn set_tag(&mut self, key: impl Into<Cow<'static, str>>, value: impl Into<TagValue>) {
        if let Some(live) = self.live.as_mut().filter(|live| live.recording) {
            let (key, value) = value.into().cut_with_key(key.into(), self.max_tag_len);
            live.set_tag(key, value);
        }
    }

    /// Sets the tags of `value`, one per field, named `name.field` (see
    /// [`Tags`] and [`SpanRef::set_tags`]).
    pub fn set_tags<T: Tags + ?Sized>(&mut self, name: &'static str, value: &T) {
        if let Some(live) = self.live.as_mut().filter(|live| live.recording) {
            live.set_arg_tags(crate::tags::gather(name, value, self.max_tag_len));
        }
    }

    /// Runs `f` with this span active on the current thread: spans started
    /// in it are its children, and [`with_active_span`] finds it.
    ///
    /// [`with_active_span`]: crate::with_active_span
    #[inline]
    pub fn in_scope<R>(&mut self, f: impl FnOnce() -> R) -> R {
        let Some(live) = self.live.take() else {
            return f();
        };
        match local::lend::<GlobalSink>(live, self.loan) {
            Ok(lent) => {
                // Taken back however `f` ends, a panic included.
                let _back = TakeBack {
                    lent: Some(lent),
                    slot: &mut self.live,
                };
                f()
            }
            // This thread is being torn down: nothing can be active.
            Err(live) => {
                *self.live = Some(live);
                f()
            }
        }
    }

    /// Runs `f` with this span active, and a [`SpanRef`] to it: for code
    /// that takes one (hooks). The handle does nothing once `f` returns.
    pub fn with_ref<R>(&mut self, f: impl FnOnce(&SpanRef) -> R) -> R {
        let Some(live) = self.live.take() else {
            return f(SpanRef::noop_ref());
        };
        let settled = local::lend::<GlobalSink>(live, self.loan)
            .map_err(Some)
            .and_then(local::Lent::settle);
        match settled {
            Ok(id) => {
                let _back = TakeBackEntry {
                    id,
                    slot: &mut self.live,
                };
                f(&SpanRef::local(id))
            }
            // This thread is being torn down: the span cannot be reached.
            Err(live) => {
                *self.live = live;
                f(SpanRef::noop_ref())
            }
        }
    }

    /// Marks the span as failed, as [`SpanRef::record_error`] does.
    pub fn record_error(&mut self, error_kind: &str, message: &str) {
        if self.is_recording() {
            self.with_ref(|span| span.record_error(error_kind, message));
        }
    }

    /// Finishes the span now.
    pub fn finish(self) {}

    /// Finishes the span at the given time.
    pub fn finish_at(mut self, end: SystemTime) {
        self.finish_at_stamp(clock::stamp(end));
    }

    fn finish_at_stamp(&mut self, end: u64) {
        if let Some(live) = self.live.take() {
            let pipeline = match &self.destination {
                Destination::Global => global().pipeline(),
                Destination::Pipeline(pipeline) => pipeline.as_ref(),
            };
            local::finish_carried(live, end, pipeline);
        }
    }
}

impl Drop for CarriedSpan {
    #[inline]
    fn drop(&mut self) {
        if let Some(live) = &*self.live {
            let end = clock::now_if(live.recording);
            self.finish_at_stamp(end);
        }
    }
}

impl std::fmt::Debug for CarriedSpan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CarriedSpan")
            .field("trace_id", &format_args!("{}", self.trace_id()))
            .field("span_id", &format_args!("{}", self.span_id()))
            .field("recording", &self.is_recording())
            .finish()
    }
}

/// Takes a lent span back into its slot when dropped.
struct TakeBack<'a> {
    lent: Option<local::Lent<GlobalSink>>,
    slot: &'a mut Option<Box<LiveSpan>>,
}

impl Drop for TakeBack<'_> {
    #[inline]
    fn drop(&mut self) {
        *self.slot = self.lent.take().and_then(local::Lent::take_back);
    }
}

/// Takes a span pushed as stack entry `id` back into its slot when dropped.
struct TakeBackEntry<'a> {
    id: u64,
    slot: &'a mut Option<Box<LiveSpan>>,
}

impl Drop for TakeBackEntry<'_> {
    fn drop(&mut self) {
        *self.slot = local::take_carried(self.id);
    }
}
