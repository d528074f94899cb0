//! Live spans: [`Span`] owns a span and finishes it; [`SpanRef`] is the
//! shared view that hooks, [`with_active_span`](crate::with_active_span) and
//! the scope stack use to add tags and logs.

use std::borrow::Cow;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use crate::clock;
use crate::context::{Baggage, SpanContext, SpanId, TraceId};
use crate::record::{Field, LogRecord, SpanKind, SpanRecord};
use crate::scope::{self, Active, Scope};
use crate::tag::TagValue;
use crate::tracer::Tracer;

/// A live span as seen by code that does not own it: hooks, the active span
/// in [`with_active_span`](crate::with_active_span), and through `Deref` the
/// owning [`Span`].
///
/// Every method takes `&self` and does nothing once the span is finished or
/// when it is not sampled.
pub struct SpanRef {
    trace_id: TraceId,
    span_id: SpanId,
    sampled: bool,
    /// Whether `state.baggage` may be non-empty: most spans carry none, and
    /// then reading the context takes no lock.
    has_baggage: AtomicBool,
    tracer: Option<Tracer>,
    state: Mutex<SpanState>,
}

struct SpanState {
    baggage: Baggage,
    /// `None` when the span is not sampled or already finished.
    data: Option<SpanData>,
}

struct SpanData {
    name: Cow<'static, str>,
    kind: SpanKind,
    parent_id: Option<SpanId>,
    parent_is_remote: bool,
    start: u64,
    tags: Vec<Field>,
    logs: Vec<LogRecord>,
    follows_from: Vec<SpanContext>,
}

/// What a noop span (no tracer installed) derefs to.
static NOOP: SpanRef = SpanRef {
    trace_id: TraceId::INVALID,
    span_id: SpanId::PLACEHOLDER,
    sampled: false,
    has_baggage: AtomicBool::new(false),
    tracer: None,
    state: Mutex::new(SpanState {
        baggage: Baggage::new(),
        data: None,
    }),
};

impl SpanRef {
    fn state(&self) -> MutexGuard<'_, SpanState> {
        // Nothing panics while holding this lock, but a poisoned lock must
        // not take tracing down with it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` on the span's data if it is still recording.
    fn with_data(&self, f: impl FnOnce(&mut SpanData)) {
        if self.sampled
            && let Some(data) = self.state().data.as_mut()
        {
            f(data);
        }
    }

    fn limit(&self, value: TagValue) -> TagValue {
        match &self.tracer {
            Some(tracer) => value.truncated(tracer.max_tag_len()),
            None => value,
        }
    }

    /// The span's context: ids, sampled flag and current baggage.
    pub fn context(&self) -> SpanContext {
        let context = SpanContext::new(self.trace_id, self.span_id, self.sampled);
        if self.has_baggage.load(Ordering::Acquire) {
            context.with_baggage(self.state().baggage.clone())
        } else {
            context
        }
    }

    /// The trace this span belongs to.
    pub fn trace_id(&self) -> TraceId {
        self.trace_id
    }

    /// This span's id.
    pub fn span_id(&self) -> SpanId {
        self.span_id
    }

    /// Whether the trace is sampled.
    pub fn is_sampled(&self) -> bool {
        self.sampled
    }

    /// Whether tags and logs set now will be exported (sampled and not yet
    /// finished). Use it to skip expensive work for spans nobody will see.
    pub fn is_recording(&self) -> bool {
        self.sampled && self.state().data.is_some()
    }

    /// Sets the tag `key`, replacing an earlier value. Strings longer than the
    /// tracer's limit are cut.
    ///
    /// ```
    /// let (_, spans) = tracekit_runtime::testing::capture(|| {
    ///     let span = tracekit_runtime::global().span("load").start();
    ///     span.set_tag("rows", 12);
    ///     span.set_tag("cache", "miss");
    /// });
    /// assert_eq!(spans[0].tag("cache").and_then(|v| v.as_str()), Some("miss"));
    /// ```
    pub fn set_tag(&self, key: impl Into<Cow<'static, str>>, value: impl Into<TagValue>) {
        if self.sampled {
            let value = self.limit(value.into());
            self.with_data(|data| set_field(&mut data.tags, key.into(), value));
        }
    }

    /// Adds a timestamped log with the given fields (OpenTracing's standard
    /// keys are `event`, `message`, `error.kind` and `stack`).
    ///
    /// ```
    /// let (_, spans) = tracekit_runtime::testing::capture(|| {
    ///     let span = tracekit_runtime::global().span("fetch").start();
    ///     span.log([("event", "retry"), ("message", "timeout")]);
    /// });
    /// assert!(spans[0].log_event("retry").is_some());
    /// ```
    pub fn log<K, V>(&self, fields: impl IntoIterator<Item = (K, V)>)
    where
        K: Into<Cow<'static, str>>,
        V: Into<TagValue>,
    {
        self.log_at(SystemTime::now(), fields);
    }

    /// Like [`log`](Self::log), with an explicit timestamp.
    pub fn log_at<K, V>(&self, timestamp: SystemTime, fields: impl IntoIterator<Item = (K, V)>)
    where
        K: Into<Cow<'static, str>>,
        V: Into<TagValue>,
    {
        if self.sampled {
            let fields = fields
                .into_iter()
                .map(|(k, v)| (k.into(), self.limit(v.into())))
                .collect();
            self.with_data(|data| data.logs.push(LogRecord { timestamp, fields }));
        }
    }

    /// Renames the span.
    pub fn set_operation_name(&self, name: impl Into<Cow<'static, str>>) {
        self.with_data(|data| data.name = name.into());
    }

    /// Sets a baggage item: it travels with this span's context to every
    /// child started afterwards and to every process the context is injected
    /// into. Works on unsampled spans too.
    pub fn set_baggage_item(&self, key: impl Into<String>, value: impl Into<String>) {
        if self.trace_id.is_valid() {
            let mut state = self.state();
            state.baggage = state.baggage.with(key, value);
            self.has_baggage.store(true, Ordering::Release);
        }
    }

    /// The value of a baggage item, own or inherited.
    pub fn baggage_item(&self, key: &str) -> Option<String> {
        self.state().baggage.get(key).map(str::to_owned)
    }

    /// Marks the span as failed the OpenTracing way: tag `error = true`, tag
    /// `error.type`, and a log with `event = "error"`, `error.kind` and
    /// `message`.
    pub fn record_error(&self, error_kind: &str, message: &str) {
        self.set_tag("error", true);
        self.set_tag("error.type", error_kind.to_owned());
        self.log([
            ("event", TagValue::from("error")),
            ("error.kind", TagValue::from(error_kind.to_owned())),
            ("message", TagValue::from(message.to_owned())),
        ]);
    }

    /// Ends the span at `end` and hands the record to the tracer. A second
    /// call does nothing.
    fn finish_at_nanos(&self, end: u64) {
        let Some(tracer) = &self.tracer else { return };
        let (data, baggage) = {
            let mut state = self.state();
            match state.data.take() {
                Some(data) => (data, state.baggage.clone()),
                None => return,
            }
        };
        tracer.deliver(SpanRecord {
            name: data.name,
            trace_id: self.trace_id,
            span_id: self.span_id,
            parent_id: data.parent_id,
            parent_is_remote: data.parent_is_remote,
            kind: data.kind,
            start: clock::to_system_time(data.start),
            end: clock::to_system_time(end.max(data.start)),
            tags: data.tags,
            logs: data.logs,
            follows_from: data.follows_from,
            baggage,
        });
    }
}

/// Sets `key` in `fields`, replacing an earlier value.
fn set_field(fields: &mut Vec<Field>, key: Cow<'static, str>, value: TagValue) {
    match fields.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => fields.push((key, value)),
    }
}

/// A live span, owned: it finishes when [`finish`](Span::finish)ed or
/// dropped. Derefs to [`SpanRef`] for tags, logs and baggage.
///
/// ```
/// let (_, spans) = tracekit_runtime::testing::capture(|| {
///     let tracer = tracekit_runtime::global();
///     let parent = tracer.span("parent").start();
///     let _scope = parent.activate();
///     let child = tracer.span("child").tag("step", 1).start();
///     child.finish();
/// });
/// assert_eq!(spans[0].name, "child");
/// assert_eq!(spans[0].parent_id, Some(spans[1].span_id));
/// ```
#[must_use = "a span finishes as soon as it is dropped"]
pub struct Span {
    shared: Option<Arc<SpanRef>>,
}

impl Span {
    /// A span that records nothing and has no context, as made when no
    /// tracer is installed.
    pub const fn noop() -> Span {
        Span { shared: None }
    }

    /// Whether this is a noop span.
    #[inline(always)]
    pub fn is_noop(&self) -> bool {
        self.shared.is_none()
    }

    /// Makes this span the active one on the current thread until the
    /// returned [`Scope`] is dropped: spans started meanwhile become its
    /// children. Scopes may be dropped in any order.
    pub fn activate(&self) -> Scope {
        match &self.shared {
            Some(shared) => scope::enter(Active::Span(shared.clone())),
            None => Scope::inert(),
        }
    }

    /// Finishes the span now.
    pub fn finish(self) {}

    /// Finishes the span at the given time.
    pub fn finish_at(self, end: SystemTime) {
        if let Some(shared) = &self.shared {
            shared.finish_at_nanos(clock::to_unix_nanos(end));
        }
    }
}

impl Deref for Span {
    type Target = SpanRef;

    fn deref(&self) -> &SpanRef {
        self.shared.as_deref().unwrap_or(&NOOP)
    }
}

impl Drop for Span {
    #[inline]
    fn drop(&mut self) {
        if let Some(shared) = &self.shared {
            shared.finish_at_nanos(clock::now());
        }
    }
}

impl std::fmt::Debug for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Span")
            .field("trace_id", &format_args!("{}", self.trace_id))
            .field("span_id", &format_args!("{}", self.span_id))
            .field("sampled", &self.sampled)
            .finish()
    }
}

/// Where a new span takes its parent from.
#[derive(Clone, Debug, Default)]
pub(crate) enum ParentChoice {
    /// The span active on this thread or task, if any.
    #[default]
    Active,
    /// This context, or a new trace for `None`.
    Explicit(Option<SpanContext>),
}

/// Everything needed to start a span; filled by [`SpanBuilder`] and by
/// `#[traced]`.
#[derive(Default)]
pub(crate) struct SpanStart {
    pub(crate) name: Cow<'static, str>,
    pub(crate) kind: SpanKind,
    pub(crate) parent: ParentChoice,
    pub(crate) follows_from: Vec<SpanContext>,
    pub(crate) tags: Vec<Field>,
    pub(crate) start: Option<u64>,
}

impl Tracer {
    /// Starts a span: decides its parent and whether it is sampled.
    pub(crate) fn start_span(&self, start: SpanStart) -> Span {
        if !self.is_enabled() {
            return Span::noop();
        }
        let parent = match start.parent {
            ParentChoice::Active => scope::active_context(),
            ParentChoice::Explicit(parent) => parent,
        }
        .filter(SpanContext::is_valid);
        let trace_id = parent
            .as_ref()
            .map_or_else(crate::ids::new_trace_id, SpanContext::trace_id);
        let sampled = self.sampler().should_sample(parent.as_ref(), trace_id);
        let data = sampled.then(|| SpanData {
            name: start.name,
            kind: start.kind,
            parent_id: parent.as_ref().map(SpanContext::span_id),
            parent_is_remote: parent.as_ref().is_some_and(SpanContext::is_remote),
            start: start.start.unwrap_or_else(clock::now),
            tags: start
                .tags
                .into_iter()
                .map(|(k, v)| (k, v.truncated(self.max_tag_len())))
                .collect(),
            logs: Vec::new(),
            follows_from: start.follows_from,
        });
        if sampled {
            self.span_started();
        }
        let baggage = parent.map(|p| p.baggage().clone()).unwrap_or_default();
        Span {
            shared: Some(Arc::new(SpanRef {
                trace_id,
                span_id: crate::ids::new_span_id(),
                sampled,
                has_baggage: AtomicBool::new(!baggage.is_empty()),
                tracer: Some(self.clone()),
                state: Mutex::new(SpanState { baggage, data }),
            })),
        }
    }
}

/// Configures a span before it starts; made by [`Tracer::span`].
///
/// ```
/// use tracekit_runtime::{SpanKind, testing};
///
/// let (_, spans) = testing::capture(|| {
///     let tracer = tracekit_runtime::global();
///     let upstream = tracer.span("upstream").start().context();
///     tracer
///         .span("fetch")
///         .kind(SpanKind::Client)
///         .follows_from(&upstream)
///         .tag("http.request.method", "GET")
///         .start();
/// });
/// let fetch = spans.iter().find(|s| s.name == "fetch").unwrap();
/// assert_eq!(fetch.kind, SpanKind::Client);
/// assert_eq!(fetch.follows_from.len(), 1);
/// ```
#[must_use = "a span builder does nothing until `start` is called"]
pub struct SpanBuilder<'t> {
    tracer: &'t Tracer,
    start: SpanStart,
}

impl<'t> SpanBuilder<'t> {
    pub(crate) fn new(tracer: &'t Tracer, name: Cow<'static, str>) -> Self {
        SpanBuilder {
            tracer,
            start: SpanStart {
                name,
                ..SpanStart::default()
            },
        }
    }

    /// Makes the span a child of `parent` instead of the active span.
    pub fn child_of(mut self, parent: &SpanContext) -> Self {
        self.start.parent = ParentChoice::Explicit(Some(parent.clone()));
        self
    }

    /// Adds a `FollowsFrom` reference: the span was caused by `cause` but
    /// does not run inside it. May be given several times.
    pub fn follows_from(mut self, cause: &SpanContext) -> Self {
        self.start.follows_from.push(cause.clone());
        self
    }

    /// Starts a new trace even when a span is active.
    pub fn ignore_active(mut self) -> Self {
        if matches!(self.start.parent, ParentChoice::Active) {
            self.start.parent = ParentChoice::Explicit(None);
        }
        self
    }

    /// Sets the span's kind (default [`SpanKind::Internal`]).
    pub fn kind(mut self, kind: SpanKind) -> Self {
        self.start.kind = kind;
        self
    }

    /// Sets a tag from the start.
    pub fn tag(mut self, key: impl Into<Cow<'static, str>>, value: impl Into<TagValue>) -> Self {
        set_field(&mut self.start.tags, key.into(), value.into());
        self
    }

    /// Sets the start time (default: now).
    pub fn start_time(mut self, time: SystemTime) -> Self {
        self.start.start = Some(clock::to_unix_nanos(time));
        self
    }

    /// Starts the span.
    pub fn start(self) -> Span {
        self.tracer.start_span(self.start)
    }
}
