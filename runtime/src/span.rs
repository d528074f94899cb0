//! Live spans: [`Span`] owns a span and finishes it; [`SpanRef`] is the
//! view that hooks, [`with_active_span`](crate::with_active_span) and the
//! owner use to add tags and logs. A span's state is either shared (behind
//! a lock) or local (in the scope stack of the thread running it: the span
//! of a traced call, no allocation, no lock; an async call's travels in its
//! future between polls).

use std::borrow::Cow;
use std::ops::Deref;
use std::sync::atomic::Ordering;
use std::time::SystemTime;

use crate::clock;
use crate::extra::Extra;
use crate::identity::{SpanContext, SpanId, TraceId};
use crate::live::LiveSpan;
use crate::local::{self, Parent, SharedRef};
use crate::parent::AsParent;
use crate::record::{LogRecord, SpanKind};
use crate::scope::Scope;
use crate::tag::TagValue;
use crate::tag_set::TagSet;
use crate::tags::Tags;
use crate::tracer::Tracer;

/// A live span as seen by code that does not own it: hooks, the active span
/// in [`with_active_span`](crate::with_active_span), and through `Deref` the
/// owning [`Span`].
///
/// Every method takes `&self` and does nothing once the span is finished or
/// when it is not sampled. The span of a traced call belongs to the thread
/// running it (for an async call, to the current poll): a `SpanRef` to it
/// used elsewhere, or later, does nothing. A clone views the same span.
#[derive(Clone)]
pub struct SpanRef {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    /// No tracer: nothing to record.
    Noop,
    /// State behind a lock; may be used from any thread.
    Shared(SharedRef),
    /// State inline in this thread's scope stack, under this entry id.
    Local(u64),
}

/// What a noop span derefs to.
static NOOP: SpanRef = SpanRef { repr: Repr::Noop };

impl SpanRef {
    /// Runs `f` on the span's state, wherever it lives.
    fn with_live<R>(&self, f: impl FnOnce(&mut LiveSpan) -> R) -> Option<R> {
        match &self.repr {
            Repr::Noop => None,
            Repr::Shared(shared) => Some(f(&mut shared.lock())),
            Repr::Local(id) => local::with_local(*id, f),
        }
    }

    /// Whether tags set now are kept; checked before converting values.
    fn records(&self) -> bool {
        match &self.repr {
            Repr::Noop => false,
            Repr::Shared(shared) => shared.sampled,
            Repr::Local(_) => true,
        }
    }

    /// The length string tags are cut at.
    fn limit_len(&self) -> usize {
        match &self.repr {
            Repr::Shared(shared) => shared.max_tag_len,
            Repr::Noop | Repr::Local(_) => crate::global().max_tag_len(),
        }
    }

    /// The span's context: ids, sampled flag and current baggage.
    pub fn context(&self) -> SpanContext {
        match &self.repr {
            Repr::Shared(shared) => shared.context(),
            _ => self
                .with_live(|live| live.context())
                .unwrap_or_else(|| LiveSpan::NOOP.context()),
        }
    }

    /// The trace this span belongs to.
    pub fn trace_id(&self) -> TraceId {
        match &self.repr {
            Repr::Shared(shared) => shared.trace_id,
            _ => self
                .with_live(|live| live.trace_id)
                .unwrap_or(TraceId::INVALID),
        }
    }

    /// This span's id.
    pub fn span_id(&self) -> SpanId {
        match &self.repr {
            Repr::Shared(shared) => shared.span_id,
            _ => self
                .with_live(|live| live.span_id)
                .unwrap_or(SpanId::PLACEHOLDER),
        }
    }

    /// Whether the trace is sampled.
    pub fn is_sampled(&self) -> bool {
        match &self.repr {
            Repr::Shared(shared) => shared.sampled,
            _ => self.with_live(|live| live.sampled).unwrap_or(false),
        }
    }

    /// Whether tags and logs set now will be exported (sampled and not yet
    /// finished). Use it to skip expensive work for spans nobody will see.
    pub fn is_recording(&self) -> bool {
        match &self.repr {
            Repr::Shared(shared) => shared.is_recording(),
            _ => self.with_live(|live| live.is_recording()).unwrap_or(false),
        }
    }

    /// Makes this span the active one on the current thread until the
    /// returned [`Scope`] is dropped: spans started meanwhile become its
    /// children. Scopes may be dropped in any order. The span of a traced
    /// call is active while the call runs already: its scope does nothing.
    ///
    /// ```
    /// let (_, spans) = tracekit_runtime::testing::capture(|| {
    ///     let tracer = tracekit_runtime::global();
    ///     let parent = tracer.span("parent").start();
    ///     let view: tracekit_runtime::SpanRef = (*parent).clone();
    ///     let _scope = view.activate();
    ///     tracer.span("child").start().finish();
    /// });
    /// assert_eq!(spans[0].parent_id, Some(spans[1].span_id));
    /// ```
    pub fn activate(&self) -> Scope {
        self.clone().into_scope()
    }

    /// [`activate`](Self::activate), handing this view to the scope: for a
    /// view made only to be activated, it saves taking and releasing one
    /// more reference to the span.
    ///
    /// ```
    /// let (_, spans) = tracekit_runtime::testing::capture(|| {
    ///     let tracer = tracekit_runtime::global();
    ///     let parent = tracer.span("parent").start();
    ///     let scope = (*parent).clone().into_scope();
    ///     tracer.span("child").start().finish();
    ///     drop(scope);
    /// });
    /// assert_eq!(spans[0].parent_id, Some(spans[1].span_id));
    /// ```
    pub fn into_scope(self) -> Scope {
        match self.repr {
            Repr::Shared(shared) => Scope::of(local::enter_span(shared)),
            // A local span is active from its start until it finishes.
            Repr::Noop | Repr::Local(_) => Scope::inert(),
        }
    }

    /// Sets the tag `key`, replacing an earlier value. Keys and strings
    /// longer than the tracer's limit are cut.
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
        if self.records() {
            let (key, value) = value.into().cut_with_key(key.into(), self.limit_len());
            self.with_live(|live| live.set_tag(key, value));
        }
    }

    /// Sets the tags of `value`, one per field, named `name.field` (see
    /// [`Tags`]), each replacing an earlier value; nothing is read from
    /// `value` when the span is not sampled.
    ///
    /// ```
    /// use tracekit_runtime::{Secret, TagValue, TagWriter, Tags, testing};
    ///
    /// struct Login {
    ///     user: String,
    ///     password: Secret<String>,
    /// }
    ///
    /// impl Tags for Login {
    ///     fn record_tags(&self, tags: &mut TagWriter<'_>) {
    ///         tags.field("user", &self.user);
    ///         tags.field("password", &self.password);
    ///     }
    /// }
    ///
    /// let login = Login { user: "ada".into(), password: Secret::new("hunter2".into()) };
    /// let (_, spans) = testing::capture(|| {
    ///     let span = tracekit_runtime::global().span("login").start();
    ///     span.set_tags("login", &login);
    /// });
    /// assert_eq!(spans[0].tag("login.user"), Some(&TagValue::from("ada")));
    /// assert_eq!(spans[0].tag("login.password"), Some(&TagValue::from("[redacted]")));
    /// ```
    pub fn set_tags<T: Tags + ?Sized>(&self, name: &'static str, value: &T) {
        if self.records() {
            let tags = crate::tags::gather(name, value, self.limit_len());
            self.with_live(|live| live.set_arg_tags(tags));
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
        if self.records() {
            let limit = self.limit_len();
            let fields = fields
                .into_iter()
                .map(|(k, v)| v.into().cut_with_key(k.into(), limit))
                .collect();
            self.with_live(|live| live.log(LogRecord { timestamp, fields }));
        }
    }

    /// Adds a follows-from reference to `cause` after the start (a span
    /// this one was caused by, without running under it). Nothing happens
    /// when `cause` has no context or this span records nothing.
    ///
    /// ```
    /// let (_, spans) = tracekit_runtime::testing::capture(|| {
    ///     let tracer = tracekit_runtime::global();
    ///     let cause = tracer.span("enqueue").start();
    ///     let work = tracer.span("work").start();
    ///     work.add_follows_from(&cause);
    /// });
    /// let cause = spans.iter().find(|s| s.name == "enqueue").unwrap();
    /// let work = spans.iter().find(|s| s.name == "work").unwrap();
    /// assert_eq!(work.follows_from[0].span_id(), cause.span_id);
    /// ```
    pub fn add_follows_from(&self, cause: impl AsParent) {
        if let Some(cause) = cause.as_parent()
            && self.records()
        {
            self.with_live(|live| live.add_follows_from(cause));
        }
    }

    /// Renames the span (a name longer than the tracer's limit is cut).
    pub fn set_operation_name(&self, name: impl Into<Cow<'static, str>>) {
        let name = crate::cut::cow(name.into(), self.limit_len());
        self.with_live(|live| live.rename(name));
    }

    /// Sets a baggage item: it travels with this span's context to every
    /// child started afterwards and to every process the context is injected
    /// into. Works on unsampled spans too. A key or value longer than the
    /// tracer's limit is cut.
    pub fn set_baggage_item(&self, key: impl Into<String>, value: impl Into<String>) {
        let limit = self.limit_len();
        let (key, value) = (
            crate::cut::string(key.into(), limit),
            crate::cut::string(value.into(), limit),
        );
        self.with_live(|live| live.set_baggage_item(key, value));
        if let Repr::Shared(shared) = &self.repr {
            shared.has_baggage.store(true, Ordering::Release);
        }
    }

    /// The value of a baggage item, own or inherited.
    pub fn baggage_item(&self, key: &str) -> Option<String> {
        self.with_live(|live| live.baggage.get(key).map(str::to_owned))
            .flatten()
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

    /// The handle of no span.
    pub(crate) fn noop_ref() -> &'static SpanRef {
        &NOOP
    }

    pub(crate) fn shared(shared: SharedRef) -> SpanRef {
        SpanRef {
            repr: Repr::Shared(shared),
        }
    }

    pub(crate) fn local(id: u64) -> SpanRef {
        SpanRef {
            repr: Repr::Local(id),
        }
    }

    /// A handle to this thread's active span.
    pub(crate) fn active(active: local::ActiveSpan) -> SpanRef {
        match active {
            local::ActiveSpan::Shared(shared) => SpanRef::shared(shared),
            local::ActiveSpan::Local(id) => SpanRef::local(id),
        }
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
    handle: SpanRef,
}

impl Span {
    /// A span that records nothing and has no context, as made when no
    /// tracer is installed.
    pub const fn noop() -> Span {
        Span {
            handle: SpanRef { repr: Repr::Noop },
        }
    }

    /// Whether this is a noop span.
    #[inline(always)]
    pub fn is_noop(&self) -> bool {
        matches!(self.handle.repr, Repr::Noop)
    }

    /// Finishes the span now.
    pub fn finish(self) {}

    /// Finishes the span at the given time.
    pub fn finish_at(mut self, end: SystemTime) {
        self.finish_at_stamp(clock::stamp(end));
    }

    fn finish_at_stamp(&mut self, end: u64) {
        match std::mem::replace(&mut self.handle.repr, Repr::Noop) {
            Repr::Noop => {}
            Repr::Shared(shared) => shared.finish_at_stamp(end, || crate::global().pipeline()),
            Repr::Local(id) => crate::global().finish_local(id, end),
        }
    }
}

impl Span {
    /// Starts the span `start` describes, whose state may cross threads,
    /// written where it will live: in a spare allocation of this thread's
    /// when there is one.
    fn shared(start: &mut SpanStart, tracer: &Tracer) -> Span {
        let starter = tracer.starter();
        if !starter.enabled {
            return Span::noop();
        }
        // The installed global tracer's is looked up when the span
        // finishes.
        let pipeline = (!tracer.is_installed_global()).then(|| tracer.pipeline_handle().clone());
        let shared = local::with_thread(|stack| {
            let mut shared = stack.spare_shared.take();
            shared.start_with(pipeline, tracer.max_tag_len(), |live| {
                start.begin_into(starter, stack, live)
            });
            shared
        });
        Span {
            handle: SpanRef::shared(shared),
        }
    }
}

impl Deref for Span {
    type Target = SpanRef;

    fn deref(&self) -> &SpanRef {
        match self.handle.repr {
            Repr::Noop => &NOOP,
            _ => &self.handle,
        }
    }
}

impl Drop for Span {
    #[inline]
    fn drop(&mut self) {
        if !self.is_noop() {
            self.finish_at_stamp(clock::now());
        }
    }
}

impl std::fmt::Debug for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Span")
            .field("trace_id", &format_args!("{}", self.trace_id()))
            .field("span_id", &format_args!("{}", self.span_id()))
            .field("sampled", &self.is_sampled())
            .finish()
    }
}

/// Everything needed to start a span; filled by [`SpanBuilder`] and by
/// `#[traced]`.
#[derive(Default)]
pub(crate) struct SpanStart {
    pub(crate) name: Cow<'static, str>,
    pub(crate) kind: SpanKind,
    pub(crate) parent: Parent,
    /// Tags the span refers to rather than copies (see
    /// [`SpanBuilder::tag_template`]).
    pub(crate) template: Option<&'static TagSet>,
    /// The tags and references, once there is one: in a box from this
    /// thread's pool, which the span then keeps (a builder span with tags
    /// allocates nothing in steady state).
    pub(crate) extra: Option<Box<Extra>>,
    pub(crate) start: Option<u64>,
}

impl SpanStart {
    /// The tag box, taken from the thread's pool (out of line) at the
    /// first tag.
    #[inline(always)]
    fn extra(&mut self) -> &mut Extra {
        self.extra.get_or_insert_with(first_box)
    }
}

/// The box of a builder's first tag.
#[inline(never)]
fn first_box() -> Box<Extra> {
    Extra::fresh()
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
    pub(crate) tracer: &'t Tracer,
    /// The tracer's cut for keys and strings, read once.
    limit: usize,
    pub(crate) start: SpanStart,
}

impl<'t> SpanBuilder<'t> {
    /// A builder for a span named `name`, cut to the tracer's limit.
    /// Inline, so the builder is written where its caller keeps it.
    #[inline]
    pub(crate) fn new(tracer: &'t Tracer, name: Cow<'static, str>) -> Self {
        let limit = tracer.max_tag_len();
        SpanBuilder {
            tracer,
            limit,
            start: SpanStart {
                name: crate::cut::cow(name, limit),
                ..SpanStart::default()
            },
        }
    }

    /// Makes the span a child of `parent` instead of the active span:
    /// anything [`AsParent`] names, such as a [`SpanContext`] or the
    /// `Option` that [`Tracer::extract`] returns, where `None` makes the
    /// span a root.
    ///
    /// ```
    /// use tracekit_runtime::{Tracer, export::Memory};
    ///
    /// let spans = Memory::new();
    /// let tracer = Tracer::builder().exporter(spans.clone()).build();
    /// let headers = vec![(
    ///     "traceparent".to_owned(),
    ///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
    /// )];
    /// tracer.span("GET /cart").child_of(tracer.extract(&headers)).start().finish();
    /// tracer.span("job").child_of(tracer.extract(&Vec::new())).start().finish();
    /// tracer.flush().unwrap();
    /// let spans = spans.spans();
    /// assert_eq!(spans[0].parent_id.unwrap().to_string(), "00f067aa0ba902b7");
    /// assert_eq!(spans[1].parent_id, None);
    /// ```
    #[inline]
    pub fn child_of(mut self, parent: impl AsParent) -> Self {
        self.start.parent = Parent::Of(parent.as_parent());
        self
    }

    /// Adds a `FollowsFrom` reference: the span was caused by `cause` but
    /// does not run inside it. May be given several times; `None` adds
    /// nothing.
    pub fn follows_from(mut self, cause: impl AsParent) -> Self {
        if let Some(cause) = cause.as_parent() {
            self.start.extra().push_follows_from(cause);
        }
        self
    }

    /// Starts a new trace even when a span is active.
    pub fn ignore_active(mut self) -> Self {
        if matches!(self.start.parent, Parent::Active) {
            self.start.parent = Parent::Of(None);
        }
        self
    }

    /// Sets the span's kind (default [`SpanKind::Internal`]).
    #[inline]
    pub fn kind(mut self, kind: SpanKind) -> Self {
        self.start.kind = kind;
        self
    }

    /// Sets a tag from the start (keys and strings longer than the
    /// tracer's limit are cut).
    #[inline]
    pub fn tag(mut self, key: impl Into<Cow<'static, str>>, value: impl Into<TagValue>) -> Self {
        // Inline, with the work out of line by reference: the builder is
        // not moved in and out of a call for every tag.
        self.push_tag(key.into(), value.into());
        self
    }

    /// Sets a tag, as [`tag`](Self::tag) does, on a builder kept in a
    /// variable: for tags set under conditions.
    ///
    /// ```
    /// let (_, spans) = tracekit_runtime::testing::capture(|| {
    ///     let retried = true;
    ///     let mut builder = tracekit_runtime::global().span("fetch");
    ///     if retried {
    ///         builder.set_tag("retry", true);
    ///     }
    ///     builder.start();
    /// });
    /// assert_eq!(spans[0].tag("retry").and_then(|v| v.as_bool()), Some(true));
    /// ```
    #[inline]
    pub fn set_tag(
        &mut self,
        key: impl Into<Cow<'static, str>>,
        value: impl Into<TagValue>,
    ) -> &mut Self {
        self.push_tag(key.into(), value.into());
        self
    }

    /// Sets every tag of `set` (see [`TagSet`]), as [`set_tag`](Self::set_tag)
    /// would one by one: a tag set before with one of its keys is replaced.
    ///
    /// ```
    /// use tracekit_runtime::{TagSet, testing};
    ///
    /// let set = TagSet::new([("db.system.name", "sqlite"), ("db.namespace", "main")]);
    /// let (_, spans) = testing::capture(|| {
    ///     let mut builder = tracekit_runtime::global().span("query");
    ///     builder.set_tag("db.namespace", "other").set_tag_set(&set);
    ///     builder.start().finish();
    /// });
    /// assert_eq!(spans[0].tag("db.namespace").and_then(|v| v.as_str()), Some("main"));
    /// assert_eq!(spans[0].tags.len(), 2);
    /// ```
    pub fn set_tag_set(&mut self, set: &TagSet) -> &mut Self {
        // Copied whole when its tags are within the limit and surely new.
        if !(set.fits(self.limit)
            && self
                .start
                .extra()
                .append_new_set(set.keys(), |tags| set.clone_into(tags)))
        {
            for (key, value) in set.tags() {
                self.push_tag(key.clone(), value.clone());
            }
        }
        self
    }

    /// Sets every tag of `set` as [`set_tag_set`](Self::set_tag_set)
    /// does, by reference: the span keeps the set's address and records
    /// its tags first, before any other. Nothing is written per tag, and
    /// a span whose only tags are a template's needs no tag box at all.
    /// For sets made once and kept for the life of
    /// the process: an integration's tags of a connection and a
    /// statement. A tag set afterwards with one of the set's keys
    /// replaces its value, as `set_tag` would. A builder that has tags or
    /// a template already, or a set beyond the tracer's cut, copies the
    /// set instead.
    ///
    /// ```
    /// use tracekit_runtime::{TagSet, testing};
    ///
    /// let statement: &'static TagSet = Box::leak(Box::new(TagSet::new([
    ///     ("db.system.name", "sqlite"),
    ///     ("db.query.summary", "SELECT stock"),
    /// ])));
    /// let (_, spans) = testing::capture(|| {
    ///     tracekit_runtime::global()
    ///         .span("SELECT stock")
    ///         .tag_template(statement)
    ///         .tag("db.response.returned_rows", 1)
    ///         .start();
    /// });
    /// let keys: Vec<&str> = spans[0].tags.iter().map(|(key, _)| key.as_ref()).collect();
    /// assert_eq!(keys, ["db.system.name", "db.query.summary", "db.response.returned_rows"]);
    /// ```
    // Inline, with nothing on its common path that takes the builder's
    // address: a builder whose address went to a call is copied whole
    // (144 bytes) when it is then moved into `start_carried`.
    #[inline]
    pub fn tag_template(mut self, set: &'static TagSet) -> Self {
        let untagged = self
            .start
            .extra
            .as_ref()
            .is_none_or(|extra| extra.tags().is_empty());
        if self.start.template.is_none() && untagged && set.fits(self.limit) {
            self.start.template = Some(set);
            self
        } else {
            self.with_tag_set(set)
        }
    }

    /// The builder with `set`'s tags copied in.
    #[inline(never)]
    fn with_tag_set(mut self, set: &TagSet) -> Self {
        self.set_tag_set(set);
        self
    }

    /// The common case inline: a key and a value within the limit, a key
    /// surely new, room in the box (the first tag takes one); the value is
    /// then written straight into its slot, not handed to a call by
    /// reference and copied.
    #[inline(always)]
    fn push_tag(&mut self, key: Cow<'static, str>, value: TagValue) {
        if key.len() <= self.limit && value.fits(self.limit) {
            let extra = self.start.extra();
            if extra.has_room_for_new(&key) {
                extra.push_new(key, value);
                return;
            }
        }
        self.push_tag_cut(key, value);
    }

    /// Any other tag: a long one, a key that may be set already, a box
    /// full.
    #[inline(never)]
    fn push_tag_cut(&mut self, key: Cow<'static, str>, value: TagValue) {
        let (key, value) = value.cut_with_key(key, self.limit);
        self.start.extra().set_tag(key, value);
    }

    /// Sets the start time (default: now).
    pub fn start_time(mut self, time: SystemTime) -> Self {
        self.start.start = Some(clock::stamp(time));
        self
    }

    /// Starts the span.
    // Inline, so the caller's builder is read where it is, not copied into
    // an argument first (a copy of what was just written, field by field,
    // which stalls store forwarding).
    #[inline]
    pub fn start(mut self) -> Span {
        Span::shared(&mut self.start, self.tracer)
    }
}

impl SpanStart {
    /// Starts the span these settings describe with `starter` (one that
    /// records: the caller asked), on `stack` (for its parent, ids and
    /// sampling), written into `live`, an emptied span where it will live.
    /// By reference: the settings are read where they are, not copied.
    #[inline]
    pub(crate) fn begin_into(
        &mut self,
        starter: &local::Starter,
        stack: &mut local::Stack,
        live: &mut LiveSpan,
    ) {
        // Every field named: one added later must be taken here too, or a
        // builder that `start_carried` forgets would leak what it owns.
        let SpanStart {
            name,
            kind,
            parent,
            template,
            extra,
            start,
        } = self;
        starter.begin_built_into(
            std::mem::take(name),
            *kind,
            parent,
            *template,
            extra.take(),
            *start,
            stack,
            live,
        )
    }
}

impl AsParent for SpanRef {
    fn as_parent(&self) -> Option<SpanContext> {
        Some(self.context()).filter(SpanContext::is_valid)
    }
}

impl AsParent for Span {
    fn as_parent(&self) -> Option<SpanContext> {
        (**self).as_parent()
    }
}
