//! `TracerBuilder`: a tracer's settings, set in code, and the build and
//! install that make a [`Tracer`] of them. Reading them from the
//! environment is in `env.rs`.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use super::global::{self, InstallError};
use super::guard::TracerGuard;
use super::{DEFAULT_MAX_TAG_LEN, DEFAULT_SHUTDOWN_TIMEOUT, Tracer, TracerInner};
use crate::export::{BatchConfig, Console, Exporter, Pipeline};
use crate::hooks::Hooks;
use crate::local::Starter;
use crate::propagation::{Composite, Propagator};
use crate::record::Field;
use crate::resource::Resource;
use crate::sampler::Sampler;
use crate::tag::TagValue;

/// Configures a [`Tracer`].
pub struct TracerBuilder {
    /// Set explicitly (or by `OTEL_SERVICE_NAME`): wins over a
    /// `service.name` among the resource attributes.
    pub(super) service_name: Option<String>,
    pub(super) resource_attributes: Vec<Field>,
    pub(super) sampler: Sampler,
    pub(super) hooks: Vec<Box<dyn Hooks>>,
    pub(super) exporters: Vec<Box<dyn Exporter>>,
    pub(super) max_tag_len: usize,
    pub(super) shutdown_timeout: Duration,
    pub(super) default_exporter: bool,
    pub(super) batch: BatchConfig,
    pub(super) propagator: Arc<dyn Propagator>,
    /// The exporters `OTEL_TRACES_EXPORTER` may name, beside `console`
    /// and `none`, and whether it named any (see `from_env_with`).
    pub(super) named: Vec<NamedExporter>,
    pub(super) exporters_from_env: bool,
    pub(super) redact_names: Vec<String>,
    pub(super) scrub_values: bool,
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
            named: Vec::new(),
            exporters_from_env: false,
            redact_names: Vec::new(),
            scrub_values: false,
        }
    }
}

impl TracerBuilder {
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

    /// Adds `names` to the secret names (see [`redaction`]): an argument
    /// of a traced function, a field of a derived [`Tags`](crate::Tags)
    /// type or a recorded HTTP header under one of them, or under a name
    /// ending with `_` and one of them, is recorded as `"[redacted]"`.
    /// Names are matched in any case, `-` read as `_`. The names are
    /// added for the whole process when the tracer is built, and never
    /// taken away.
    ///
    /// ```
    /// use tracekit_runtime::redaction::is_secret_name;
    ///
    /// let tracer = tracekit_runtime::Tracer::builder()
    ///     .redact_names(["ssn", "iban"])
    ///     .build();
    /// assert!(is_secret_name("customer_iban"));
    /// # drop(tracer);
    /// ```
    ///
    /// [`redaction`]: crate::redaction
    pub fn redact_names<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.redact_names.extend(names.into_iter().map(Into::into));
        self
    }

    /// Scrubs string tags and log fields on the exporter thread, before
    /// any exporter sees them (default: off): bearer and basic tokens,
    /// card numbers (that pass the Luhn check) and e-mail addresses are
    /// replaced with `[redacted]`. The calling threads pay nothing; the
    /// exporter thread reads every string value once more.
    ///
    /// ```
    /// use tracekit_runtime::{TagValue, Tracer, export::Memory};
    ///
    /// let memory = Memory::new();
    /// let tracer = Tracer::builder().exporter(memory.clone()).scrub_values(true).build();
    /// let span = tracer.span("signup").start();
    /// span.set_tag("note", "from ada@example.org, card 4242 4242 4242 4242");
    /// span.finish();
    /// tracer.flush().unwrap();
    /// assert_eq!(
    ///     memory.spans()[0].tag("note"),
    ///     Some(&TagValue::from("from [redacted], card [redacted]"))
    /// );
    /// ```
    pub fn scrub_values(mut self, on: bool) -> Self {
        self.scrub_values = on;
        self
    }

    /// How finished spans are batched for export (default:
    /// [`BatchConfig::default`]).
    pub fn batch(mut self, config: BatchConfig) -> Self {
        self.batch = config;
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
        crate::redaction::add_names(&self.redact_names);
        if self.exporters.is_empty() && self.default_exporter {
            self.exporters.push(Box::new(Console::stdout()));
        }
        let resource = self.resource();
        Tracer {
            inner: Arc::new(TracerInner {
                starter: Starter {
                    enabled: true,
                    sampler: self.sampler,
                    pipeline: Arc::new(Pipeline::new(
                        self.exporters,
                        self.batch,
                        &resource,
                        self.scrub_values,
                    )),
                },
                resource,
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
        if global::is_set() {
            return Err(InstallError::AlreadyInstalled);
        }
        let tracer = self.build();
        global::set(tracer.clone())?;
        Ok(TracerGuard { tracer })
    }

    /// Installs this tracer unless one is already installed, without
    /// taking the place of an installed one (what test captures install).
    pub(crate) fn install_provisional(self) {
        if !global::is_set() {
            global::set_provisional(self.build());
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
                    tracer: global::global().clone(),
                }
            }
        }
    }
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
