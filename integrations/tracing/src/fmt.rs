//! The trace ids on the lines of tracing-subscriber's fmt layer.

use std::fmt;

use tracekit_runtime::context;
use tracing_core::{Event, Subscriber};
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::fmt::format::{self, FormatEvent, FormatFields, Writer};
use tracing_subscriber::registry::LookupSpan;

/// A fmt layer's event format with the active span's ids added: as
/// `"trace_id"` and `"span_id"` members of a JSON line, or at the start of
/// a text line (`trace_id=… span_id=… `). A line written with nothing
/// active is left as it is. The ids are tracekit's: an entered `tracing`
/// span's (with [`layer`](fn@crate::layer) in the subscriber), a `#[traced]`
/// call's, or a context extracted from a request.
///
/// ```
/// use tracekit_tracing::fmt::TraceIds;
/// use tracing_subscriber::layer::SubscriberExt;
///
/// // `.json()` first: its fields formatter writes the spans' fields as JSON.
/// let json = tracing_subscriber::fmt::layer()
///     .json()
///     .event_format(TraceIds::new(tracing_subscriber::fmt::format().json()));
/// let subscriber = tracing_subscriber::registry()
///     .with(tracekit_tracing::layer())
///     .with(json);
/// # drop(subscriber);
/// ```
#[derive(Clone, Debug, Default)]
pub struct TraceIds<F = format::Format> {
    inner: F,
}

impl<F> TraceIds<F> {
    /// `inner` with the ids added.
    pub fn new(inner: F) -> Self {
        TraceIds { inner }
    }
}

impl<S, N, F> FormatEvent<S, N> for TraceIds<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let (Some(trace_id), Some(span_id)) = (context::trace_id(), context::span_id()) else {
            return self.inner.format_event(ctx, writer, event);
        };
        if writer.has_ansi_escapes() {
            // A terminal's colored text (JSON has none): the ids first,
            // the line as the format writes it.
            write!(writer, "trace_id={trace_id} span_id={span_id} ")?;
            return self.inner.format_event(ctx, writer, event);
        }
        let mut line = String::with_capacity(256);
        self.inner
            .format_event(ctx, Writer::new(&mut line), event)?;
        match line.strip_prefix('{') {
            Some(members) => {
                let comma = if members.trim_start().starts_with('}') {
                    ""
                } else {
                    ","
                };
                write!(
                    writer,
                    "{{\"trace_id\":\"{trace_id}\",\"span_id\":\"{span_id}\"{comma}{members}"
                )
            }
            None => write!(writer, "trace_id={trace_id} span_id={span_id} {line}"),
        }
    }
}
