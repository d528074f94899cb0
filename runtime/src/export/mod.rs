//! Where finished spans go. Every exporter implements [`Exporter`]; the
//! tracer's pipeline hands it batches of [`SpanRecord`]s.
//!
//! - [`Console`]: prints each finished trace as an indented tree (the
//!   default when nothing else is configured).
//! - [`Memory`]: keeps every span in memory, for tests.

mod console;
mod memory;

pub use console::Console;
pub use memory::Memory;

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::record::SpanRecord;

/// A destination for finished spans.
///
/// The pipeline calls an exporter from one thread at a time, so it may keep
/// state (`&mut self`) without locking.
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
}

/// Why an export failed.
#[derive(Debug)]
pub enum ExportError {
    /// Writing to a stream or socket failed.
    Io(std::io::Error),
    /// The backend refused or could not take the batch.
    Backend(String),
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExportError::Io(err) => write!(f, "export failed: {err}"),
            ExportError::Backend(reason) => write!(f, "backend refused the batch: {reason}"),
        }
    }
}

impl std::error::Error for ExportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ExportError::Io(err) => Some(err),
            ExportError::Backend(_) => None,
        }
    }
}

impl From<std::io::Error> for ExportError {
    fn from(err: std::io::Error) -> Self {
        ExportError::Io(err)
    }
}

/// Hands finished spans to the configured exporters, one at a time.
pub(crate) struct Pipeline {
    exporters: Mutex<Vec<Box<dyn Exporter>>>,
    warned: AtomicBool,
}

impl Pipeline {
    pub(crate) fn new(exporters: Vec<Box<dyn Exporter>>) -> Self {
        Pipeline {
            exporters: Mutex::new(exporters),
            warned: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Box<dyn Exporter>>> {
        self.exporters.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn submit(&self, record: SpanRecord) {
        let batch = std::slice::from_ref(&record);
        for exporter in self.lock().iter_mut() {
            if let Err(err) = exporter.export(batch) {
                self.warn_once(&err);
            }
        }
    }

    pub(crate) fn flush(&self) {
        for exporter in self.lock().iter_mut() {
            if let Err(err) = exporter.flush() {
                self.warn_once(&err);
            }
        }
    }

    /// A failing backend must not flood stderr: the first failure is told.
    fn warn_once(&self, err: &ExportError) {
        if !self.warned.swap(true, Ordering::Relaxed) {
            eprintln!("tracekit: {err} (further export errors are not printed)");
        }
    }
}
