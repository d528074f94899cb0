//! Pieces shared by the benchmarks: sinks that count what reaches them, and
//! a minimal executor so async cases measure the library, not a runtime.

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

#[path = "counting.rs"]
mod counting;
#[allow(unused_imports, reason = "each bench uses some of them")]
pub use counting::{CountingExporter, OtelCounter, OtelExported, process_cpu_nanos};

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
