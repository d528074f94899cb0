//! The tracer: configuration, the process-wide instance, and the guard that
//! flushes it.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::export::{BatchConfig, Console, Exporter, FlushError, Pipeline, TracerStats};
use crate::hooks::Hooks;
use crate::identity::SpanContext;
use crate::propagation::{Composite, Extractor, Injector, Propagator};
use crate::record::Field;
use crate::resource::Resource;
use crate::sampler::Sampler;
use crate::span::SpanBuilder;
use crate::tag::TagValue;

/// Default limit for string tags, in bytes.
pub const DEFAULT_MAX_TAG_LEN: usize = 1024;

/// How long shutdown waits for the exporters by default (see
/// [`TracerBuilder::shutdown_timeout`]).
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// Starts spans and sends finished ones to its exporters. Cheap to clone.
///
/// Most programs install one tracer for the whole process
/// ([`TracerBuilder::install`] or [`init`]) and reach it with [`global`];
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
    enabled: bool,
    resource: Resource,
    sampler: Sampler,
    propagator: Arc<dyn Propagator>,
    hooks: Vec<Box<dyn Hooks>>,
    max_tag_len: usize,
    shutdown_timeout: Duration,
    /// Shared with the spans that can outlive the tracer (see
    /// `SharedSpan`): the pipeline ends when the last of them is gone.
    pipeline: Arc<Pipeline>,
}

impl Tracer {
    /// Starts configuring a tracer.
    pub fn builder() -> TracerBuilder {
        TracerBuilder::default()
    }

    /// A tracer that records nothing; what [`global`] returns before a
    /// tracer is installed.
    fn disabled() -> Tracer {
        Tracer {
            inner: Arc::new(TracerInner {
                enabled: false,
                resource: Resource::new(""),
                sampler: Sampler::never(),
                propagator: Arc::new(Composite::default()),
                hooks: Vec::new(),
                max_tag_len: DEFAULT_MAX_TAG_LEN,
                shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
                pipeline: Arc::new(Pipeline::new(
                    Vec::new(),
                    BatchConfig::default(),
                    &Resource::new(""),
                )),
            }),
        }
    }

    /// Begins a span named `name`; configure it, then `.start()` it.
    pub fn span(&self, name: impl Into<Cow<'static, str>>) -> SpanBuilder<'_> {
        SpanBuilder::new(self, name.into())
    }

    /// Whether this tracer records anything (false for the placeholder
    /// [`global`] returns when no tracer is installed).
    pub fn is_enabled(&self) -> bool {
        self.inner.enabled
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
        &self.inner.sampler
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
        self.flush_within(self.inner.pipeline.default_timeout())
    }

    /// Like [`flush`](Self::flush), waiting at most `timeout`.
    pub fn flush_within(&self, timeout: std::time::Duration) -> Result<(), FlushError> {
        let flushed = self.inner.pipeline.flush(timeout);
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
            ..self.inner.pipeline.stats()
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

    /// The pipeline's shared half, when the tracer has exporters.
    #[inline]
    pub(crate) fn pipeline(&self) -> Option<&Arc<crate::export::Shared>> {
        self.inner.pipeline.shared()
    }

    pub(crate) fn hooks(&self) -> &[Box<dyn Hooks>] {
        &self.inner.hooks
    }

    /// The pipeline itself, for the spans that hold on to it.
    /// Whether `other` is this tracer (or a clone of it).
    pub(crate) fn is(&self, other: &Tracer) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    pub(crate) fn pipeline_handle(&self) -> &Arc<Pipeline> {
        &self.inner.pipeline
    }
}

impl fmt::Debug for Tracer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tracer")
            .field("enabled", &self.inner.enabled)
            .field("service_name", &self.service_name())
            .field("sampler", &self.inner.sampler)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Tracer`].
pub struct TracerBuilder {
    /// Set explicitly (or by `OTEL_SERVICE_NAME`): wins over a
    /// `service.name` among the resource attributes.
    service_name: Option<String>,
    resource_attributes: Vec<Field>,
    sampler: Sampler,
    hooks: Vec<Box<dyn Hooks>>,
    exporters: Vec<Box<dyn Exporter>>,
    max_tag_len: usize,
    shutdown_timeout: Duration,
    default_exporter: bool,
    batch: BatchConfig,
    propagator: Arc<dyn Propagator>,
}

impl Default for TracerBuilder {
    fn default() -> Self {
        TracerBuilder {
            service_name: None,
            resource_attributes: Vec::new(),
            sampler: Sampler::default(),
            hooks: Vec::new(),
            exporters: Vec::new(),
            max_tag_len: DEFAULT_MAX_TAG_LEN,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            default_exporter: true,
            batch: BatchConfig::default(),
            propagator: Arc::new(Composite::default()),
        }
    }
}

impl TracerBuilder {
    /// A builder configured from the standard OpenTelemetry variables:
    /// `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES` (`k=v,k2=v2`, values
    /// percent-encoded; `OTEL_SERVICE_NAME` wins over a `service.name`
    /// there), `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`,
    /// `OTEL_TRACES_EXPORTER` (`console`, `none`, or several names
    /// comma-separated), `OTEL_PROPAGATORS` and
    /// `OTEL_BSP_*` (see [`BatchConfig::from_env`]). A value that cannot be
    /// used is reported on stderr and its default kept; a member of
    /// `OTEL_RESOURCE_ATTRIBUTES` that cannot be read is reported and left
    /// out, the others kept.
    pub fn from_env() -> TracerBuilder {
        TracerBuilder::from_env_with(&[])
    }

    /// [`from_env`](Self::from_env), with more exporters that
    /// `OTEL_TRACES_EXPORTER` may name beside `console` and `none` (what
    /// `tracekit::init` passes: `otlp`, with its feature).
    pub fn from_env_with(named: &[NamedExporter]) -> TracerBuilder {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let mut builder = TracerBuilder::default().batch(BatchConfig::from_env());
        if let Some(list) = var("OTEL_RESOURCE_ATTRIBUTES") {
            let (attributes, errors) = crate::resource::parse_attributes(&list);
            for error in errors {
                eprintln!("tracekit: OTEL_RESOURCE_ATTRIBUTES: {error}");
            }
            for (key, value) in attributes {
                builder = builder.resource_attribute(key, value);
            }
        }
        if let Some(name) = var("OTEL_SERVICE_NAME") {
            builder = builder.service_name(name);
        }
        if let Some(name) = var("OTEL_TRACES_SAMPLER") {
            match Sampler::from_otel(&name, var("OTEL_TRACES_SAMPLER_ARG").as_deref()) {
                Ok(sampler) => builder = builder.sampler(sampler),
                Err(err) => eprintln!("tracekit: OTEL_TRACES_SAMPLER: {err}; using the default"),
            }
        }
        if let Some(names) = var("OTEL_PROPAGATORS") {
            match Composite::from_names(&names) {
                Ok(propagator) => builder = builder.propagator(propagator),
                Err(err) => {
                    eprintln!("tracekit: OTEL_PROPAGATORS: {err}; using tracecontext,baggage")
                }
            }
        }
        if let Some(list) = var("OTEL_TRACES_EXPORTER") {
            builder = builder.exporters_named(&list, named);
        }
        builder
    }

    /// The service name spans are reported under (default `unknown_service`,
    /// or the `service.name` of the resource attributes).
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// Adds an attribute to the tracer's [`Resource`], replacing one of
    /// the same key.
    ///
    /// ```
    /// let tracer = tracekit_runtime::Tracer::builder()
    ///     .resource_attribute("deployment.environment", "staging")
    ///     .build();
    /// let environment = tracer.resource().get("deployment.environment");
    /// assert_eq!(environment.and_then(|v| v.as_str()), Some("staging"));
    /// ```
    pub fn resource_attribute(
        mut self,
        key: impl Into<Cow<'static, str>>,
        value: impl Into<TagValue>,
    ) -> Self {
        self.resource_attributes.push((key.into(), value.into()));
        self
    }

    /// The resource these settings describe.
    fn resource(&self) -> Resource {
        let mut resource = Resource::new("unknown_service");
        for (key, value) in &self.resource_attributes {
            resource = resource.with_attribute(key.clone(), value.clone());
        }
        match &self.service_name {
            Some(name) => resource.with_attribute("service.name", name.clone()),
            None => resource,
        }
    }

    /// The sampler (default: `parent_based(always())`).
    pub fn sampler(mut self, sampler: Sampler) -> Self {
        self.sampler = sampler;
        self
    }

    /// Adds an exporter. Without any, finished traces print to the console.
    pub fn exporter(mut self, exporter: impl Exporter) -> Self {
        self.exporters.push(Box::new(exporter));
        self
    }

    /// Adds hooks run around every traced call, before the function's own.
    pub fn hooks(mut self, hooks: impl Hooks) -> Self {
        self.hooks.push(Box::new(hooks));
        self
    }

    /// How long dropping the guard of [`install`](Self::install) (or an
    /// exit flush, see [`flush_at_exit`](crate::flush_at_exit)) waits for
    /// the exporters at most before it gives up and says what was lost
    /// (default [`DEFAULT_SHUTDOWN_TIMEOUT`], 5 s). A backend that stopped
    /// answering delays the end of the program this long, no longer.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Cuts what is longer than `bytes` (default 1024): string tags and
    /// log fields, span names, tag and log keys, baggage items. A cut ends
    /// on a character boundary, is marked with
    /// [`TRUNCATION_MARKER`](crate::TRUNCATION_MARKER), and copies only what
    /// is kept.
    pub fn max_tag_len(mut self, bytes: usize) -> Self {
        self.max_tag_len = bytes;
        self
    }

    /// The propagation formats of `inject` / `extract` (default:
    /// `tracecontext,baggage`): a [`Composite`] of several, or any one
    /// [`Propagator`], your own included.
    ///
    /// ```
    /// use tracekit_runtime::Tracer;
    /// use tracekit_runtime::propagation::{B3, Composite};
    ///
    /// let tracer = Tracer::builder()
    ///     .propagator(Composite::from_names("tracecontext,baggage,b3multi").unwrap())
    ///     .build();
    /// // One format alone (or a `Propagator` of your own) goes in as it is.
    /// let b3 = Tracer::builder().propagator(B3::single_header()).build();
    /// # drop((tracer, b3));
    /// ```
    pub fn propagator(mut self, propagator: impl Propagator) -> Self {
        self.propagator = Arc::new(propagator);
        self
    }

    /// How finished spans are batched for export (default:
    /// [`BatchConfig::default`]).
    pub fn batch(mut self, config: BatchConfig) -> Self {
        self.batch = config;
        self
    }

    /// Adds the exporters `list` names (`OTEL_TRACES_EXPORTER`: `console`,
    /// `none`, the names in `named`; several comma-separated). A name that
    /// is unknown, or whose exporter cannot be built, is reported on stderr
    /// and left out; when nothing is left, spans go to the console (a safe
    /// fallback); `none` alone exports nowhere.
    fn exporters_named(mut self, list: &str, named: &[NamedExporter]) -> Self {
        let accepted = || {
            let mut names = vec!["console", "none"];
            names.extend(named.iter().map(|n| n.name));
            names.join(", ")
        };
        let mut none = false;
        let mut added = false;
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if name == "none" {
                none = true;
            } else if name == "console" {
                self.exporters.push(Box::new(Console::stdout()));
                added = true;
            } else if let Some(exporter) = named.iter().find(|n| n.name == name) {
                match (exporter.build)() {
                    Ok(exporter) => {
                        self.exporters.push(exporter);
                        added = true;
                    }
                    Err(err) => eprintln!("tracekit: OTEL_TRACES_EXPORTER={name}: {err}; left out"),
                }
            } else {
                eprintln!(
                    "tracekit: OTEL_TRACES_EXPORTER: {name:?} is not supported ({}); left out",
                    accepted()
                );
            }
        }
        if none && !added {
            self.default_exporter = false;
        }
        self
    }

    /// Exports nowhere unless an exporter is added (no console default).
    pub(crate) fn without_default_exporter(mut self) -> Self {
        self.default_exporter = false;
        self
    }

    /// Builds a tracer without installing it.
    pub fn build(mut self) -> Tracer {
        crate::clock::init();
        if self.exporters.is_empty() && self.default_exporter {
            self.exporters.push(Box::new(Console::stdout()));
        }
        let resource = self.resource();
        Tracer {
            inner: Arc::new(TracerInner {
                enabled: true,
                pipeline: Arc::new(Pipeline::new(self.exporters, self.batch, &resource)),
                resource,
                sampler: self.sampler,
                propagator: self.propagator,
                hooks: self.hooks,
                max_tag_len: self.max_tag_len,
                shutdown_timeout: self.shutdown_timeout,
            }),
        }
    }

    /// Builds the tracer and makes it the process-wide one, or says why not:
    /// a tracer can be installed once per process. The silent tracer that
    /// [`testing::capture`](crate::testing::capture) installs when it finds
    /// none gives way to this one.
    pub fn try_install(self) -> Result<TracerGuard, InstallError> {
        if GLOBAL.get().is_some() {
            return Err(InstallError::AlreadyInstalled);
        }
        let tracer = self.build();
        GLOBAL
            .set(tracer.clone())
            .map_err(|_| InstallError::AlreadyInstalled)?;
        enable();
        Ok(TracerGuard { tracer })
    }

    /// Installs this tracer unless one is already installed, without
    /// taking the place of an installed one (what test captures install).
    pub(crate) fn install_provisional(self) {
        if GLOBAL.get().is_none() {
            let _ = PROVISIONAL.set(self.build());
            enable();
        }
    }

    /// Builds the tracer and makes it the process-wide one. The tracer is
    /// installed once per process: if one is already installed, this says
    /// so on stderr and the returned guard holds the installed tracer
    /// ([`try_install`](Self::try_install) returns the reason instead). The
    /// silent stand-in of test captures is not an installed tracer: it
    /// gives way.
    pub fn install(self) -> TracerGuard {
        match self.try_install() {
            Ok(guard) => guard,
            Err(err) => {
                eprintln!("tracekit: {err}; keeping the first one");
                TracerGuard {
                    tracer: global().clone(),
                }
            }
        }
    }
}

/// Why [`TracerBuilder::try_install`] failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InstallError {
    /// A tracer was installed earlier in this process.
    AlreadyInstalled,
}

impl fmt::Display for InstallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstallError::AlreadyInstalled => f.write_str("a global tracer is already installed"),
        }
    }
}

impl std::error::Error for InstallError {}

/// Returned by [`TracerBuilder::install`] and [`init`]: derefs to the
/// tracer, and flushes it when dropped (waiting at most the
/// [shutdown timeout](TracerBuilder::shutdown_timeout), then saying on
/// stderr what could not be delivered) so a program that ends normally
/// loses no span. Keep it alive for the life of the program; for programs
/// that end through `std::process::exit`, see [`flush_at_exit`](crate::flush_at_exit).
#[must_use = "dropping the guard flushes the tracer; keep it for the life of the program"]
pub struct TracerGuard {
    tracer: Tracer,
}

impl Deref for TracerGuard {
    type Target = Tracer;

    fn deref(&self) -> &Tracer {
        &self.tracer
    }
}

impl Drop for TracerGuard {
    /// Flushes, waiting at most the shutdown timeout.
    fn drop(&mut self) {
        self.tracer.flush_for_shutdown();
    }
}

static GLOBAL: OnceLock<Tracer> = OnceLock::new();

/// The silent tracer of test captures, used until a tracer is installed.
static PROVISIONAL: OnceLock<Tracer> = OnceLock::new();

/// Whether a global tracer is installed: the one load `#[traced]` pays when
/// tracing is off.
static ENABLED: AtomicBool = AtomicBool::new(false);

/// Whether the global tracer's sampler keeps every child of an unsampled
/// span unsampled: then a traced call under one reads only this and a
/// thread-local flag, without looking the tracer up.
static SKIPS_UNSAMPLED_CHILDREN: AtomicBool = AtomicBool::new(false);

/// Whether the global tracer has hooks, read by every traced call as it
/// ends.
static HAS_HOOKS: AtomicBool = AtomicBool::new(false);

/// Marks the global tracer installed, with what traced calls read of it
/// without looking it up.
fn enable() {
    let skips = global().sampler().keeps_unsampled_children();
    SKIPS_UNSAMPLED_CHILDREN.store(skips, Ordering::Release);
    HAS_HOOKS.store(!global().hooks().is_empty(), Ordering::Release);
    ENABLED.store(true, Ordering::Release);
}

/// Whether a global tracer is installed.
#[inline(always)]
pub fn is_installed() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Whether the global tracer has hooks.
#[inline(always)]
pub(crate) fn has_global_hooks() -> bool {
    HAS_HOOKS.load(Ordering::Relaxed)
}

/// Whether the global tracer's sampler keeps the children of an unsampled
/// span unsampled (see `SKIPS_UNSAMPLED_CHILDREN`).
#[inline(always)]
pub(crate) fn skips_unsampled_children() -> bool {
    SKIPS_UNSAMPLED_CHILDREN.load(Ordering::Relaxed)
}

/// The process-wide tracer; a disabled one that records nothing until a
/// tracer is installed.
///
/// ```
/// let span = tracekit_runtime::global().span("before install").start();
/// assert!(span.is_noop());
/// ```
#[inline]
pub fn global() -> &'static Tracer {
    match GLOBAL.get() {
        Some(tracer) => tracer,
        None => not_installed(),
    }
}

#[cold]
fn not_installed() -> &'static Tracer {
    static DISABLED: OnceLock<Tracer> = OnceLock::new();
    match PROVISIONAL.get() {
        Some(tracer) => tracer,
        None => DISABLED.get_or_init(Tracer::disabled),
    }
}

/// Installs a tracer configured from the `OTEL_*` environment variables
/// (see [`TracerBuilder::from_env`]); `OTEL_SDK_DISABLED=true` installs
/// nothing. Keep the returned guard alive: it flushes on drop.
///
/// ```no_run
/// let _tracer = tracekit_runtime::init();
/// // ... traced work; the guard flushes when it drops at the end of main.
/// ```
pub fn init() -> TracerGuard {
    init_with(&[])
}

/// [`init`], with more exporters `OTEL_TRACES_EXPORTER` may name (see
/// [`TracerBuilder::from_env_with`]).
pub fn init_with(named: &[NamedExporter]) -> TracerGuard {
    let disabled = std::env::var("OTEL_SDK_DISABLED").is_ok_and(|v| v.trim() == "true");
    if disabled {
        return TracerGuard {
            tracer: global().clone(),
        };
    }
    TracerBuilder::from_env_with(named).install()
}

/// An exporter `OTEL_TRACES_EXPORTER` may name: its name, and how it is
/// built from the environment (an error says what cannot be used).
///
/// ```
/// use tracekit_runtime::export::Memory;
/// use tracekit_runtime::{NamedExporter, TracerBuilder};
///
/// let memory = NamedExporter {
///     name: "memory",
///     build: || Ok(Box::new(Memory::new())),
/// };
/// let _builder = TracerBuilder::from_env_with(&[memory]);
/// ```
#[derive(Clone, Copy)]
pub struct NamedExporter {
    /// The name in `OTEL_TRACES_EXPORTER`.
    pub name: &'static str,
    /// Builds the exporter from the environment.
    pub build: fn() -> Result<Box<dyn Exporter>, String>,
}
