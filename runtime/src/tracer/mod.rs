//! The tracer handle: what starts spans, injects and extracts contexts,
//! and flushes its pipeline. Its settings (`builder.rs`), the environment
//! (`env.rs`), the process-wide instance (`global.rs`) and the guard
//! (`guard.rs`) live beside it.

mod builder;
mod env;
mod global;
mod guard;

pub use builder::{NamedExporter, TracerBuilder};
pub use env::init_with;
pub(crate) use global::{GlobalSink, has_global_hooks, skips_unsampled_children};
pub use global::{InstallError, global, is_installed};
pub use guard::TracerGuard;

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::export::{BatchConfig, FlushError, Pipeline, TracerStats};
use crate::hooks::Hooks;
use crate::identity::SpanContext;
use crate::local::{References, Starter};
use crate::propagation::{Composite, Extractor, Injector, Propagator};
use crate::record::SpanKind;
use crate::resource::Resource;
use crate::sampler::Sampler;
use crate::span::SpanBuilder;

/// Default limit for string tags, in bytes.
pub const DEFAULT_MAX_TAG_LEN: usize = 1024;

/// How long shutdown waits for the exporters by default (see
/// [`TracerBuilder::shutdown_timeout`]).
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// Starts spans and sends finished ones to its exporters. Cheap to clone.
///
/// Most programs install one tracer for the whole process
/// ([`TracerBuilder::install`], or `tracekit::init`) and reach it with [`global`](fn@global);
/// `#[traced]` always uses the global tracer.
///
/// ```
/// use tracekit_runtime::{Sampler, Tracer, export::Memory};
///
/// let memory = Memory::new();
/// let tracer = Tracer::builder()
///     .service_name("shop")
///     .sampler(Sampler::always())
///     .exporter(memory.clone())
///     .build();
/// let span = tracer.span("checkout").tag("user_id", 7).start();
/// span.finish();
/// tracer.flush().unwrap();
/// assert_eq!(memory.spans()[0].tag("user_id").and_then(|v| v.as_i64()), Some(7));
/// ```
#[derive(Clone)]
pub struct Tracer {
    inner: Arc<TracerInner>,
}

struct TracerInner {
    /// Whether it records, its sampler and its pipeline: what the engine
    /// reads to start and finish spans.
    starter: Starter,
    resource: Resource,
    propagator: Arc<dyn Propagator>,
    hooks: Vec<Box<dyn Hooks>>,
    max_tag_len: usize,
    shutdown_timeout: Duration,
}

impl Tracer {
    /// Starts configuring a tracer.
    pub fn builder() -> TracerBuilder {
        TracerBuilder::default()
    }

    /// A tracer that records nothing; what [`global`](fn@global) returns before a
    /// tracer is installed.
    fn disabled() -> Tracer {
        Tracer {
            inner: Arc::new(TracerInner {
                starter: Starter {
                    enabled: false,
                    sampler: Sampler::never(),
                    pipeline: Arc::new(Pipeline::new(
                        Vec::new(),
                        BatchConfig::default(),
                        &Resource::new(""),
                        false,
                    )),
                },
                resource: Resource::new(""),
                propagator: Arc::new(Composite::default()),
                hooks: Vec::new(),
                max_tag_len: DEFAULT_MAX_TAG_LEN,
                shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            }),
        }
    }

    /// Begins a span named `name`; configure it, then `.start()` it.
    pub fn span(&self, name: impl Into<Cow<'static, str>>) -> SpanBuilder<'_> {
        SpanBuilder::new(self, name.into())
    }

    /// Whether this tracer records anything (false for the placeholder
    /// [`global`](fn@global) returns when no tracer is installed).
    pub fn is_enabled(&self) -> bool {
        self.inner.starter.enabled
    }

    /// The service name spans are reported under (`service.name` of the
    /// [`resource`](Self::resource)).
    pub fn service_name(&self) -> &str {
        self.inner.resource.service_name()
    }

    /// What produces this tracer's spans, as its exporters are told.
    pub fn resource(&self) -> &Resource {
        &self.inner.resource
    }

    /// The sampler deciding which new traces are recorded.
    pub fn sampler(&self) -> &Sampler {
        &self.inner.starter.sampler
    }

    /// String tags longer than this many bytes are cut.
    pub fn max_tag_len(&self) -> usize {
        self.inner.max_tag_len
    }

    /// Waits until every span finished so far, on any thread, has been
    /// exported. Waits at most the batch export timeout.
    ///
    /// ```
    /// use tracekit_runtime::{Tracer, export::Memory};
    ///
    /// let memory = Memory::new();
    /// let tracer = Tracer::builder().exporter(memory.clone()).build();
    /// tracer.span("job").start().finish();
    /// tracer.flush().unwrap();
    /// assert_eq!(memory.spans().len(), 1);
    /// ```
    pub fn flush(&self) -> Result<(), FlushError> {
        self.flush_within(self.inner.starter.pipeline.default_timeout())
    }

    /// Like [`flush`](Self::flush), waiting at most `timeout`.
    pub fn flush_within(&self, timeout: std::time::Duration) -> Result<(), FlushError> {
        let flushed = self.inner.starter.pipeline.flush(timeout);
        // The export gave tag boxes back: this thread takes its share.
        if let Some(shared) = self.pipeline() {
            crate::local::extras::top_up_from(shared);
        }
        flushed
    }

    /// Writes `context` into `carrier` (HTTP headers, a map, a list of
    /// pairs) in every configured format.
    ///
    /// ```
    /// use tracekit_runtime::{SpanContext, SpanId, TraceId, Tracer};
    ///
    /// let tracer = Tracer::builder().build();
    /// let context = SpanContext::new(TraceId::from_u128(1), SpanId::new(2).unwrap(), true);
    /// let mut headers = http::HeaderMap::new();
    /// tracer.inject(&context, &mut headers);
    /// assert!(headers.contains_key("traceparent"));
    /// assert_eq!(tracer.extract(&headers).unwrap().span_id(), context.span_id());
    /// ```
    pub fn inject(&self, context: &SpanContext, carrier: &mut impl Injector) {
        self.inner.propagator.inject(context, carrier);
    }

    /// Writes the context active now (the active span's, or a carried
    /// [`Context`](crate::Context)'s) into `carrier`, as
    /// [`inject`](Self::inject) does; returns whether there was one. What
    /// an outgoing request needs, in one call.
    ///
    /// ```
    /// use tracekit_runtime::{Tracer, export::Memory};
    ///
    /// let tracer = Tracer::builder().exporter(Memory::new()).build();
    /// let mut headers = http::HeaderMap::new();
    /// assert!(!tracer.inject_current(&mut headers));
    /// let span = tracer.span("checkout").start();
    /// let _scope = span.activate();
    /// assert!(tracer.inject_current(&mut headers));
    /// let parent = tracer.extract(&headers).unwrap();
    /// assert_eq!(parent.span_id(), span.span_id());
    /// ```
    pub fn inject_current(&self, carrier: &mut impl Injector) -> bool {
        match crate::scope::Context::current().span_context() {
            Some(context) => {
                self.inject(&context, carrier);
                true
            }
            None => false,
        }
    }

    /// Reads a context from `carrier` in the configured formats; `None`
    /// when there is none or it is malformed (counted in
    /// [`stats`](Self::stats)). Spans started under it continue the
    /// caller's trace. When only baggage came (no trace ids), the context
    /// carries that baggage and is not [valid](SpanContext::is_valid):
    /// spans started under it start a new trace with the baggage.
    pub fn extract(&self, carrier: &impl Extractor) -> Option<SpanContext> {
        self.inner.propagator.extract(carrier)
    }

    /// The binary form of `context` (see [`propagation::inject_binary`](crate::propagation::inject_binary)).
    pub fn inject_binary(&self, context: &SpanContext) -> Vec<u8> {
        crate::propagation::inject_binary(context)
    }

    /// Reads the binary form (see [`propagation::extract_binary`](crate::propagation::extract_binary)).
    pub fn extract_binary(&self, bytes: &[u8]) -> Option<SpanContext> {
        crate::propagation::extract_binary(bytes)
    }

    /// The pipeline's counters: spans started, finished, exported, dropped.
    ///
    /// ```
    /// use tracekit_runtime::{Tracer, export::Memory};
    ///
    /// let tracer = Tracer::builder().exporter(Memory::new()).build();
    /// tracer.span("job").start().finish();
    /// tracer.flush().unwrap();
    /// let stats = tracer.stats();
    /// assert_eq!((stats.spans_finished, stats.spans_exported, stats.dropped()), (1, 1, 0));
    /// ```
    pub fn stats(&self) -> TracerStats {
        TracerStats {
            malformed_contexts: crate::propagation::malformed_count(),
            ..self.inner.starter.pipeline.stats()
        }
    }

    /// Flushes at shutdown, waiting at most the shutdown timeout; says on
    /// stderr what could not be delivered.
    pub(crate) fn flush_for_shutdown(&self) {
        let flushed = self.flush_within(self.inner.shutdown_timeout);
        if let Err(err) = flushed {
            let stats = self.stats();
            let in_flight = stats
                .spans_finished
                .saturating_sub(stats.spans_exported + stats.dropped());
            eprintln!(
                "tracekit: at shutdown: {err}; {} spans dropped in all, {in_flight} not delivered",
                stats.dropped()
            );
        }
    }

    /// What the engine needs of this tracer to start and finish spans.
    #[inline(always)]
    pub(crate) fn starter(&self) -> &Starter {
        &self.inner.starter
    }

    /// Starts the span of a traced call on this thread's stack (see
    /// `Starter::start_traced`).
    #[inline(always)]
    pub(crate) fn start_traced<const CARRIED: bool>(
        &self,
        name: &'static str,
        kind: SpanKind,
        references: Option<&mut References>,
    ) -> Option<(u64, bool)> {
        self.starter()
            .start_traced::<CARRIED>(name, kind, references)
    }

    /// Finishes the local span `id` of this thread at `end` and buffers it
    /// for export.
    #[inline]
    pub(crate) fn finish_local(&self, id: u64, end: u64) {
        self.starter().finish_local(id, end);
    }

    /// The pipeline's shared half, when the tracer has exporters.
    #[inline]
    pub(crate) fn pipeline(&self) -> Option<&Arc<crate::export::Shared>> {
        self.inner.starter.pipeline.shared()
    }

    pub(crate) fn hooks(&self) -> &[Box<dyn Hooks>] {
        &self.inner.hooks
    }

    /// Whether `other` is this tracer (or a clone of it).
    pub(crate) fn is(&self, other: &Tracer) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Whether this is the installed global tracer, there for the life of
    /// the process.
    pub(crate) fn is_installed_global(&self) -> bool {
        global::is_installed_global(self)
    }

    /// The pipeline itself, for the spans that hold on to it.
    pub(crate) fn pipeline_handle(&self) -> &Arc<Pipeline> {
        &self.inner.starter.pipeline
    }
}

impl fmt::Debug for Tracer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tracer")
            .field("enabled", &self.inner.starter.enabled)
            .field("service_name", &self.service_name())
            .field("sampler", &self.inner.starter.sampler)
            .finish_non_exhaustive()
    }
}
