//! A tracer's settings read from the standard `OTEL_*` variables, and the
//! exporters `OTEL_TRACES_EXPORTER` may name.

use super::builder::{NamedExporter, TracerBuilder};
use super::guard::TracerGuard;
use crate::export::{BatchConfig, Console};
use crate::propagation::Composite;
use crate::sampler::Sampler;

impl TracerBuilder {
    /// A builder configured from the standard OpenTelemetry variables:
    /// `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES` (`k=v,k2=v2`, values
    /// percent-encoded; `OTEL_SERVICE_NAME` wins over a `service.name`
    /// there), `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`,
    /// `OTEL_TRACES_EXPORTER` (`console`, `none`, the names in `named`, or
    /// several comma-separated), `OTEL_PROPAGATORS` and `OTEL_BSP_*` (see
    /// [`BatchConfig::from_env`]). A value that cannot be used is reported
    /// on stderr and its default kept; a member of
    /// `OTEL_RESOURCE_ATTRIBUTES` that cannot be read is reported and left
    /// out, the others kept.
    ///
    /// `tracekit::from_env()` calls this with every exporter of the build
    /// (`otlp`, `zipkin`, `jsonl`): use that one, unless you name
    /// exporters of your own.
    pub fn from_env_with(named: &[NamedExporter]) -> TracerBuilder {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let mut builder = TracerBuilder::default().batch(BatchConfig::from_env());
        builder.named = named.to_vec();
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
            builder.exporters_from_env = true;
            builder = builder.exporters_named(&list, "OTEL_TRACES_EXPORTER");
        }
        builder
    }

    /// The exporters to use when `OTEL_TRACES_EXPORTER` is not set, named
    /// as it names them (the console when neither says). The variable,
    /// when set, wins: what a program that sends to one backend by
    /// default does.
    ///
    /// ```
    /// use tracekit_runtime::TracerBuilder;
    ///
    /// let tracer = TracerBuilder::from_env_with(&[]).default_exporters("none").build();
    /// # drop(tracer);
    /// ```
    pub fn default_exporters(self, list: &str) -> Self {
        if self.exporters_from_env {
            return self;
        }
        self.exporters_named(list, "default_exporters")
    }

    /// Adds the exporters `list` names (`console`, `none`, the names the
    /// builder was made with; several comma-separated). A name that is
    /// unknown, or whose exporter cannot be built, is reported on stderr
    /// (as coming from `source`) and left out; when nothing is left, spans
    /// go to the console (a safe fallback); `none` alone exports nowhere.
    fn exporters_named(mut self, list: &str, source: &str) -> Self {
        let named = std::mem::take(&mut self.named);
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
                    Err(err) => eprintln!("tracekit: {source}: {name}: {err}; left out"),
                }
            } else {
                eprintln!(
                    "tracekit: {source}: {name:?} is not supported ({}); left out",
                    accepted()
                );
            }
        }
        if none && !added {
            self.default_exporter = false;
        }
        self.named = named;
        self
    }
}

/// Installs a tracer configured from the `OTEL_*` environment variables,
/// with `named` the exporters `OTEL_TRACES_EXPORTER` may name beside
/// `console` and `none` (see [`TracerBuilder::from_env_with`]);
/// `OTEL_SDK_DISABLED=true` installs nothing. Keep the returned guard
/// alive: it flushes on drop. `tracekit::init()` calls it with every
/// exporter of the build.
///
/// ```no_run
/// let _tracer = tracekit_runtime::init_with(&[]);
/// // ... traced work; the guard flushes when it drops at the end of main.
/// ```
pub fn init_with(named: &[NamedExporter]) -> TracerGuard {
    let disabled = std::env::var("OTEL_SDK_DISABLED").is_ok_and(|v| v.trim() == "true");
    if disabled {
        return TracerGuard {
            tracer: super::global::global().clone(),
        };
    }
    TracerBuilder::from_env_with(named).install()
}
