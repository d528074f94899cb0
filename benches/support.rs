//! Pieces shared by the benchmarks: sinks that count what reaches them, and
//! a minimal executor so async cases measure the library, not a runtime.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};

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

/// A `tracing` subscriber that sends its spans through
/// tracing-opentelemetry to the OpenTelemetry SDK, and the counter of the
/// spans the SDK finished, counted on the thread that ends them by a span
/// processor that does nothing else: the cheapest OpenTelemetry there is,
/// so the ratios against it are the conservative ones. (The layer's
/// tracer keeps its provider alive.)
pub fn otel_subscriber() -> (impl tracing::Subscriber + Send + Sync, OtelCounter) {
    let otel = OtelCounter::default();
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_span_processor(otel.clone())
        .build();
    (subscriber_of(&provider), otel)
}

/// A `tracing` subscriber over tracing-opentelemetry as a service sets
/// it up: the SDK's batch span processor and its thread, here in front
/// of an exporter that counts; and the provider, to flush it.
pub fn otel_batch_subscriber() -> (
    impl tracing::Subscriber + Send + Sync,
    OtelExported,
    opentelemetry_sdk::trace::SdkTracerProvider,
) {
    let otel = OtelExported::default();
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_batch_exporter(otel.clone())
        .build();
    (subscriber_of(&provider), otel, provider)
}

fn subscriber_of(
    provider: &opentelemetry_sdk::trace::SdkTracerProvider,
) -> impl tracing::Subscriber + Send + Sync + use<> {
    use opentelemetry::trace::TracerProvider as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("bench"));
    tracing_subscriber::registry().with(layer)
}

/// Polls a future to completion on this thread.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// Returns `Pending` once, then `Ready`: one extra poll of the caller.
#[derive(Default)]
pub struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            Poll::Pending
        }
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

/// Flushes the global tracer after a case: spans the full queue could not
/// hold are dropped and counted (said here), as the pipeline promises; a
/// flush that times out fails the bench.
pub fn flush_global() {
    match tracekit::global().flush() {
        Ok(()) => {}
        Err(tracekit::FlushError::Dropped { spans }) => {
            eprintln!("{spans} spans dropped by the full export queue (counted)")
        }
        Err(error) => panic!("flush: {error}"),
    }
}
