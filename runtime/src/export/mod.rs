//! Where finished spans go. Every exporter implements [`Exporter`]; the
//! tracer's pipeline hands it batches of [`SpanRecord`]s from one exporter
//! thread, batched as [`BatchConfig`] says.
//!
//! - [`Console`]: prints each finished trace as an indented tree (the
//!   default when nothing else is configured).
//! - [`Memory`]: keeps every span in memory, for tests.

mod batch;
pub(crate) mod chunk;
mod console;
pub(crate) mod lane;
mod memory;
mod pipeline;
pub(crate) mod raw;
pub(crate) mod scrub;
mod stats;
mod warnings;
mod worker;

pub use batch::BatchConfig;
pub use console::Console;
pub use memory::Memory;
pub(crate) use pipeline::{Pipeline, Shared};
pub use stats::{FlushError, TracerStats};

use std::fmt;

use crate::record::SpanRecord;
use crate::resource::Resource;

/// A destination for finished spans.
///
/// The pipeline calls an exporter from its one exporter thread, so it may
/// keep state (`&mut self`) without locking. Call
/// [`Tracer::flush`](crate::Tracer::flush) to wait until finished spans
/// have reached it.
///
/// ```
/// use tracekit_runtime::export::{ExportError, Exporter};
/// use tracekit_runtime::SpanRecord;
///
/// /// Counts spans instead of sending them anywhere.
/// #[derive(Default)]
/// struct Counter(usize);
///
/// impl Exporter for Counter {
///     fn export(&mut self, batch: &[SpanRecord]) -> Result<(), ExportError> {
///         self.0 += batch.len();
///         Ok(())
///     }
/// }
///
/// let _tracer = tracekit_runtime::Tracer::builder().exporter(Counter::default()).build();
/// ```
pub trait Exporter: Send + 'static {
    /// Sends a batch. An error means the batch was not delivered.
    fn export(&mut self, batch: &[SpanRecord]) -> Result<(), ExportError>;

    /// Delivers anything the exporter still buffers.
    fn flush(&mut self) -> Result<(), ExportError> {
        Ok(())
    }

    /// Learns what produces the spans (the service, the SDK), once, before
    /// the first batch: exporters whose format carries it (OTLP's
    /// resource, Zipkin's local endpoint) keep what they need.
    fn set_resource(&mut self, resource: &Resource) {
        let _ = resource;
    }
}

/// Why an export failed.
#[derive(Debug)]
pub enum ExportError {
    /// Writing to a stream or socket failed.
    Io(std::io::Error),
    /// The backend refused or could not take the batch.
    Backend(String),
    /// The backend took the batch but refused `spans` of its spans (OTLP's
    /// partial success): those are counted as dropped, the rest as
    /// exported.
    Rejected {
        /// How many spans of the batch were refused.
        spans: u64,
        /// What the backend said.
        reason: String,
    },
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExportError::Io(err) => write!(f, "export failed: {err}"),
            ExportError::Backend(reason) => write!(f, "backend refused the batch: {reason}"),
            ExportError::Rejected { spans, reason } => {
                write!(f, "backend refused {spans} spans of the batch: {reason}")
            }
        }
    }
}

impl std::error::Error for ExportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ExportError::Io(err) => Some(err),
            ExportError::Backend(_) | ExportError::Rejected { .. } => None,
        }
    }
}

impl From<std::io::Error> for ExportError {
    fn from(err: std::io::Error) -> Self {
        ExportError::Io(err)
    }
}
