//! The in-memory exporter.

use std::sync::{Arc, Mutex};

use super::{ExportError, Exporter};
use crate::record::SpanRecord;

/// Keeps every exported span; clones share the same store, so keep one clone
/// and give the other to the tracer.
///
/// ```
/// use tracekit_runtime::{Tracer, export::Memory};
///
/// let memory = Memory::new();
/// let tracer = Tracer::builder().exporter(memory.clone()).build();
/// tracer.span("job").start().finish();
/// tracer.flush().unwrap();
/// assert_eq!(memory.spans()[0].name, "job");
/// ```
#[derive(Clone, Default)]
pub struct Memory {
    spans: Arc<Mutex<Vec<SpanRecord>>>,
}

impl Memory {
    /// An empty store.
    pub fn new() -> Self {
        Memory::default()
    }

    /// A copy of every span exported so far, in export order.
    pub fn spans(&self) -> Vec<SpanRecord> {
        self.lock().clone()
    }

    /// Takes every span exported so far, leaving the store empty.
    pub fn take(&self) -> Vec<SpanRecord> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<SpanRecord>> {
        self.spans.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Exporter for Memory {
    fn export(&mut self, batch: &[SpanRecord]) -> Result<(), ExportError> {
        self.lock().extend_from_slice(batch);
        Ok(())
    }
}
