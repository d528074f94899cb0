//! The trace ids on the lines of any `log` logger.

use tracekit_runtime::{context, with_active_span};

/// A `log` logger (env_logger, ...) whose lines end with the active
/// span's ids (`… trace_id=… span_id=…`) when a span is active; with
/// [`span_logs`](Self::span_logs), each line is also a log of that span.
///
/// ```
/// use tracekit_tracing::log::TraceIds;
///
/// # struct Stderr;
/// # impl log::Log for Stderr {
/// #     fn enabled(&self, _: &log::Metadata<'_>) -> bool { true }
/// #     fn log(&self, record: &log::Record<'_>) { eprintln!("{}", record.args()) }
/// #     fn flush(&self) {}
/// # }
/// let logger = TraceIds::new(Stderr).span_logs(true); // was: Stderr
/// log::set_boxed_logger(Box::new(logger)).unwrap();
/// log::set_max_level(log::LevelFilter::Info);
/// ```
#[derive(Debug)]
pub struct TraceIds<L> {
    inner: L,
    span_logs: bool,
}

impl<L: log::Log> TraceIds<L> {
    /// `inner` with the ids added.
    pub fn new(inner: L) -> Self {
        TraceIds {
            inner,
            span_logs: false,
        }
    }

    /// The logger the lines go to.
    pub fn inner(&self) -> &L {
        &self.inner
    }

    /// Also records each line as a log of the active span (its message as
    /// `event`, `level` and `target`). Off by default.
    pub fn span_logs(mut self, on: bool) -> Self {
        self.span_logs = on;
        self
    }
}

impl<L: log::Log> log::Log for TraceIds<L> {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        self.inner.enabled(metadata)
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.inner.enabled(record.metadata()) {
            return;
        }
        if self.span_logs {
            with_active_span(|span| {
                span.log([
                    ("event", record.args().to_string()),
                    ("level", record.level().as_str().to_owned()),
                    ("target", record.target().to_owned()),
                ])
            });
        }
        let (Some(trace_id), Some(span_id)) = (context::trace_id(), context::span_id()) else {
            return self.inner.log(record);
        };
        self.inner.log(
            &log::Record::builder()
                .args(format_args!(
                    "{} trace_id={trace_id} span_id={span_id}",
                    record.args()
                ))
                .metadata(record.metadata().clone())
                .module_path(record.module_path())
                .file(record.file())
                .line(record.line())
                .build(),
        );
    }

    fn flush(&self) {
        self.inner.flush();
    }
}
