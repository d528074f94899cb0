//! What the benchmarks count: the spans that reach a sink (a tracekit
//! exporter, an OpenTelemetry span processor or exporter), and the CPU
//! time of the whole process. Included by the bench package's `support.rs`
//! and by `sqlx_otel/main.rs`, a project of its own on another
//! OpenTelemetry (these use only what both versions share).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A tracekit exporter that counts spans and drops them.
#[derive(Clone, Default)]
pub struct CountingExporter(pub Arc<AtomicU64>);

impl tracekit::export::Exporter for CountingExporter {
    fn export(
        &mut self,
        batch: &[tracekit::SpanRecord],
    ) -> Result<(), tracekit::export::ExportError> {
        self.0.fetch_add(batch.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}

/// An OpenTelemetry SDK span processor that counts finished spans.
#[derive(Debug, Clone, Default)]
pub struct OtelCounter(pub Arc<AtomicU64>);

impl opentelemetry_sdk::trace::SpanProcessor for OtelCounter {
    fn on_start(&self, _: &mut opentelemetry_sdk::trace::Span, _: &opentelemetry::Context) {}
    fn on_end(&self, _: opentelemetry_sdk::trace::SpanData) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    fn force_flush(&self) -> opentelemetry_sdk::error::OTelSdkResult {
        Ok(())
    }
    fn shutdown_with_timeout(
        &self,
        _: std::time::Duration,
    ) -> opentelemetry_sdk::error::OTelSdkResult {
        Ok(())
    }
}

/// An OpenTelemetry SDK exporter that counts the spans its batch
/// processor hands it.
#[derive(Debug, Clone, Default)]
pub struct OtelExported(pub Arc<AtomicU64>);

impl opentelemetry_sdk::trace::SpanExporter for OtelExported {
    fn export(
        &self,
        batch: Vec<opentelemetry_sdk::trace::SpanData>,
    ) -> impl Future<Output = opentelemetry_sdk::error::OTelSdkResult> + Send {
        self.0.fetch_add(batch.len() as u64, Ordering::Relaxed);
        std::future::ready(Ok(()))
    }
}

/// CPU time used so far by every thread of this process.
pub fn process_cpu_nanos() -> u64 {
    let mut time = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `time` is a valid, writable timespec.
    let read = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut time) };
    assert_eq!(read, 0, "the process CPU clock is readable");
    time.tv_sec as u64 * 1_000_000_000 + time.tv_nsec as u64
}
