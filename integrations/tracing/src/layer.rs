//! The layer: each `tracing` span a tracekit span, in one context with
//! tracekit's own.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use tracekit_runtime::{Span, SpanContext, SpanRef, TagValue, with_active_span};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use crate::entered;
use crate::fields::Fields;
use crate::made;
use crate::open_count::OpenCount;

/// A `tracing_subscriber` layer that makes every `tracing` span a tracekit
/// span and every event inside one a log of it (see the crate's docs).
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
///
/// let subscriber = tracing_subscriber::registry().with(tracekit_tracing::layer());
/// let (_, spans) = tracekit::testing::capture(|| {
///     tracing::subscriber::with_default(subscriber, || {
///         let span = tracing::info_span!("load", rows = 3);
///         let _entered = span.enter();
///         tracing::info!(table = "orders", "loaded");
///     })
/// });
/// assert_eq!(spans[0].name, "load");
/// assert_eq!(spans[0].tag("rows").and_then(|v| v.as_i64()), Some(3));
/// assert!(spans[0].log_event("loaded").is_some());
/// ```
#[derive(Clone)]
pub struct TracekitLayer {
    config: Config,
    counts: Arc<Counts>,
}

#[derive(Clone)]
struct Config {
    busy_idle: bool,
    location: bool,
    error_events_fail: bool,
    max_open_spans: usize,
    max_events_per_span: u32,
}

#[derive(Default)]
struct Counts {
    open: OpenCount,
    skipped: AtomicU64,
}

/// The layer with its defaults (see [`TracekitLayer`]'s methods).
pub fn layer() -> TracekitLayer {
    TracekitLayer {
        config: Config {
            busy_idle: false,
            location: false,
            error_events_fail: false,
            max_open_spans: 65_536,
            max_events_per_span: 128,
        },
        counts: Arc::default(),
    }
}

impl TracekitLayer {
    /// Records `busy_ns` and `idle_ns` on each span: how long it was
    /// entered, and how long open but not entered (off by default).
    pub fn with_busy_idle(mut self, on: bool) -> Self {
        self.config.busy_idle = on;
        self
    }

    /// Records where each span was made: `code.namespace` (its module),
    /// `code.filepath` and `code.lineno` (off by default).
    pub fn with_location(mut self, on: bool) -> Self {
        self.config.location = on;
        self
    }

    /// Makes an event at `ERROR` fail the span it is in, as an `error`
    /// field does (off by default: an error logged is not always the
    /// span's failure).
    pub fn error_events_fail(mut self, on: bool) -> Self {
        self.config.error_events_fail = on;
        self
    }

    /// How many `tracing` spans may be open at once as tracekit spans
    /// (65,536 by default): past it, new ones are not traced (counted in
    /// [`skipped`](Self::skipped)), so spans that are never closed cannot
    /// hold memory without bound. Their children go to the nearest traced
    /// ancestor. (Threads that race at the limit may find it reached a
    /// few spans early, or go a few past it: the count is kept so that
    /// threads making spans share no cache line they write.)
    pub fn max_open_spans(mut self, max: usize) -> Self {
        self.config.max_open_spans = max;
        self
    }

    /// How many events one span keeps as logs (128 by default, as
    /// OpenTelemetry's limit): a long-lived span does not grow without
    /// bound; the others are counted in its `tracing.dropped_events` tag.
    pub fn max_events_per_span(mut self, max: u32) -> Self {
        self.config.max_events_per_span = max;
        self
    }

    /// The `tracing` spans not traced because
    /// [`max_open_spans`](Self::max_open_spans) were open.
    pub fn skipped(&self) -> u64 {
        self.counts.skipped.load(Ordering::Relaxed)
    }

    /// The `tracing` spans open now as tracekit spans.
    pub fn open_spans(&self) -> usize {
        self.counts.open.get()
    }
}

/// What the layer keeps with a `tracing` span, in the span's extensions.
/// The registry drops it as the span closes, right after the layers have
/// seen the close: its drop sets what is known only then, and the tracekit
/// span, dropped with it, finishes. So closing looks nothing up.
struct Bridged {
    span: Span,
    events: u32,
    /// The layer's `max_events_per_span`.
    max_events: u32,
    timing: Option<Timing>,
}

impl Drop for Bridged {
    fn drop(&mut self) {
        let dropped = self.events.saturating_sub(self.max_events);
        if dropped > 0 {
            self.span
                .set_tag("tracing.dropped_events", i64::from(dropped));
        }
        if let Some(timing) = &self.timing {
            let open = nanos(timing.opened.elapsed());
            let busy = timing.busy_nanos.min(open);
            self.span.set_tag("busy_ns", busy);
            self.span.set_tag("idle_ns", open - busy);
        }
    }
}

/// Busy and idle time: entered, and open but not entered.
struct Timing {
    opened: Instant,
    busy_nanos: u64,
    /// When it was entered, while it is (entries on several threads at
    /// once count from the first).
    entered: Option<Instant>,
    depth: u32,
}

/// The tracekit context of the first traced span of `scope` (a span and
/// its ancestors, less those this layer's filter dropped).
fn traced_context<'a, R: LookupSpan<'a> + 'a>(
    mut scope: impl Iterator<Item = tracing_subscriber::registry::SpanRef<'a, R>>,
) -> Option<SpanContext> {
    scope.find_map(|span| Some(span.extensions().get::<Bridged>()?.span.context()))
}

/// Fails `span` with `message` (OpenTelemetry's `_OTHER`: the error's type
/// is not known).
fn fail(span: &SpanRef, message: &str) {
    span.record_error("_OTHER", message);
}

impl<S> tracing_subscriber::Layer<S> for TracekitLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(registered) = ctx.span(id) else {
            return;
        };
        if !self.counts.open.try_open(self.config.max_open_spans) {
            self.counts.skipped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let metadata = attrs.metadata();
        let tracer = tracekit_runtime::global();
        let mut builder = tracer.span(metadata.name());
        if attrs.is_root() {
            builder = builder.ignore_active();
        } else if attrs.parent().is_some() {
            // An explicit parent: its span, or its nearest traced ancestor
            // (the span's scope skips what this layer's filter dropped).
            builder = match traced_context(registered.scope().skip(1)) {
                Some(context) => builder.child_of(context),
                None => builder.ignore_active(),
            };
        }
        // Else the parent is what is active: an entered `tracing` span or
        // a tracekit span, whichever is innermost.
        if self.config.location {
            builder.set_tag("code.namespace", metadata.module_path().unwrap_or_default());
            if let Some(file) = metadata.file() {
                builder.set_tag("code.filepath", file);
            }
            if let Some(line) = metadata.line() {
                builder.set_tag("code.lineno", i64::from(line));
            }
        }
        let mut fields = Fields::new(&mut builder);
        attrs.record(&mut fields);
        let mut special = fields.special;
        if let Some(kind) = special.kind {
            builder = builder.kind(kind);
        }
        let span = builder.start();
        if let Some(name) = special.name.take() {
            span.set_operation_name(name);
        }
        if let Some(message) = special.failure() {
            fail(&span, &message);
        }
        if !self.config.busy_idle {
            made::keep(id.into_u64(), &span);
        }
        let timing = self.config.busy_idle.then(|| Timing {
            opened: Instant::now(),
            busy_nanos: 0,
            entered: None,
            depth: 0,
        });
        registered.extensions_mut().insert(Bridged {
            span,
            events: 0,
            max_events: self.config.max_events_per_span,
            timing,
        });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(registered) = ctx.span(id) else {
            return;
        };
        let extensions = registered.extensions();
        let Some(bridged) = extensions.get::<Bridged>() else {
            return;
        };
        let mut sink: &SpanRef = &bridged.span;
        let mut fields = Fields::new(&mut sink);
        values.record(&mut fields);
        let mut special = fields.special;
        if let Some(name) = special.name.take() {
            bridged.span.set_operation_name(name);
        }
        if let Some(message) = special.failure() {
            fail(&bridged.span, &message);
        }
    }

    fn on_follows_from(&self, id: &Id, follows: &Id, ctx: Context<'_, S>) {
        // A cause already closed is gone from the registry: nothing to add.
        let Some(cause) = ctx
            .span(follows)
            .and_then(|cause| traced_context(cause.scope()))
        else {
            return;
        };
        if let Some(registered) = ctx.span(id)
            && let Some(bridged) = registered.extensions().get::<Bridged>()
        {
            bridged.span.add_follows_from(cause);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if event.is_root() {
            return;
        }
        let metadata = event.metadata();
        let mut fields: Vec<(Cow<'static, str>, TagValue)> = Vec::with_capacity(4);
        let mut special = {
            let mut visitor = Fields::new(&mut fields);
            event.record(&mut visitor);
            visitor.special
        };
        // The message is the log's `event`, as OpenTracing names it.
        match fields.iter_mut().find(|(key, _)| key == "message") {
            Some(message) => message.0 = Cow::Borrowed("event"),
            None => fields.insert(0, (Cow::Borrowed("event"), metadata.name().into())),
        }
        fields.push(("level".into(), metadata.level().as_str().into()));
        fields.push(("target".into(), metadata.target().into()));
        let failure = special.failure().or_else(|| {
            (self.config.error_events_fail && *metadata.level() == Level::ERROR)
                .then(|| message_of(&fields))
        });
        let log = |span: &SpanRef| {
            if let Some(message) = &failure {
                fail(span, message);
            }
            span.log(fields);
        };
        match event.parent() {
            Some(parent) => {
                // An explicit parent: its span or its nearest traced
                // ancestor.
                let Some(registered) = ctx.span(parent) else {
                    return;
                };
                for ancestor in registered.scope() {
                    let mut extensions = ancestor.extensions_mut();
                    if let Some(bridged) = extensions.get_mut::<Bridged>() {
                        if self.keeps_event(bridged) {
                            log(&bridged.span);
                        }
                        return;
                    }
                }
            }
            None => {
                // What is active; an entered `tracing` span's events are
                // counted against its limit.
                if let Some(current) = ctx.lookup_current() {
                    let mut extensions = current.extensions_mut();
                    if let Some(bridged) = extensions.get_mut::<Bridged>()
                        && with_active_span(|active| active.span_id())
                            == Some(bridged.span.span_id())
                    {
                        if self.keeps_event(bridged) {
                            log(&bridged.span);
                        }
                        return;
                    }
                }
                with_active_span(log);
            }
        }
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        // The span made last on this thread, most often: no lookup.
        if let Some(span) = made::take(id.into_u64()) {
            entered::push(id.into_u64(), span.into_scope());
            return;
        }
        let Some(registered) = ctx.span(id) else {
            return;
        };
        let mut extensions = registered.extensions_mut();
        let Some(bridged) = extensions.get_mut::<Bridged>() else {
            return;
        };
        if let Some(timing) = &mut bridged.timing {
            if timing.depth == 0 {
                timing.entered = Some(Instant::now());
            }
            timing.depth += 1;
        }
        entered::push(id.into_u64(), bridged.span.activate());
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        entered::pop(id.into_u64());
        if !self.config.busy_idle {
            return;
        }
        let Some(registered) = ctx.span(id) else {
            return;
        };
        let mut extensions = registered.extensions_mut();
        if let Some(timing) = extensions
            .get_mut::<Bridged>()
            .and_then(|bridged| bridged.timing.as_mut())
        {
            timing.depth = timing.depth.saturating_sub(1);
            if timing.depth == 0
                && let Some(entered) = timing.entered.take()
            {
                timing.busy_nanos += nanos(entered.elapsed());
            }
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        // The tracekit span finishes as the registry drops `Bridged`; here
        // the span leaves the count of open ones. While no span was ever
        // skipped, every span this layer saw has a `Bridged` (a skip
        // happens before the close of the span it skipped, which the
        // registry orders after its creation).
        let traced = self.counts.skipped.load(Ordering::Relaxed) == 0
            || ctx
                .span(&id)
                .is_some_and(|span| span.extensions().get::<Bridged>().is_some());
        if traced {
            self.counts.open.close();
        }
    }
}

impl TracekitLayer {
    /// Counts an event of `bridged`: whether it is within the limit.
    fn keeps_event(&self, bridged: &mut Bridged) -> bool {
        bridged.events = bridged.events.saturating_add(1);
        bridged.events <= bridged.max_events
    }
}

/// The text of a log's `event` field.
fn message_of(fields: &[(Cow<'static, str>, TagValue)]) -> String {
    fields
        .iter()
        .find(|(key, _)| key == "event")
        .and_then(|(_, value)| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn nanos(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}
