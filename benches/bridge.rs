//! The `tracing` bridge against its peers, on the shape users benchmark:
//! one root and 99 children made with `tracing::info_span!`, two fields
//! each, every span entered. Three subscribers, each as its users set it
//! up: tracekit's layer (a counting exporter), tracing-opentelemetry over
//! the OpenTelemetry SDK with its batch exporter (a counting exporter),
//! and fastrace-tracing (a counting reporter; under a fastrace root, as
//! that layer needs). Criterion's medians per iteration (100 spans), then
//! the CPU time of the whole process (every thread: the exporters'
//! included) per delivered span, from the first span made to the last
//! reported, once criterion's backlog is gone; then the four timed in
//! alternating
//! rounds (see `rounds.rs`), with tracekit's ratio to each peer per round.
//!
//! `cargo bench --bench bridge`

mod rounds;
#[allow(dead_code)] // the async helpers serve the comparison bench
mod support;

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use support::{CountingExporter, otel_batch_subscriber, process_cpu_nanos};
use tracing_subscriber::layer::SubscriberExt;

const CHILDREN: u64 = 99;

/// The shape: a root and its children, two fields each.
fn shape() {
    let root = tracing::info_span!("root", user = 7u64, path = "/orders");
    let _root = root.enter();
    for index in 0..CHILDREN {
        let child = tracing::info_span!("child", index, table = "orders");
        let _child = child.enter();
        black_box(index);
    }
}

/// A fastrace reporter that counts every span it is handed and, apart,
/// the spans of the CPU count's traces (their trace ids carry [`COUNTED`]
/// in their top bits): fastrace may report criterion's spans long after
/// its flush, during the CPU count.
#[derive(Clone, Default)]
struct FastraceReported {
    all: Arc<AtomicU64>,
    counted: Arc<AtomicU64>,
}

/// The top 64 bits of the trace ids of the CPU count's fastrace roots.
const COUNTED: u64 = 0x7e57_c0de_0000_0001;

impl fastrace::collector::Reporter for FastraceReported {
    fn report(&mut self, spans: Vec<fastrace::collector::SpanRecord>) {
        let counted = spans
            .iter()
            .filter(|span| (span.trace_id.0 >> 64) as u64 == COUNTED)
            .count();
        self.all.fetch_add(spans.len() as u64, Ordering::Relaxed);
        self.counted.fetch_add(counted as u64, Ordering::Relaxed);
    }
}

/// The CPU time of the process per delivered span, over `iterations` of
/// `run`, until what `delivered` counts has settled (see [`settled`]),
/// after the backlog of criterion's runs was gone: `reported`, every span
/// the exporter or reporter saw, no longer moved.
fn cpu_per_span(
    name: &str,
    iterations: u64,
    spans_per_iteration: u64,
    (reported, delivered): (&AtomicU64, &AtomicU64),
    run: impl Fn(),
    flush: impl Fn(),
) {
    // What criterion's runs left in the pipeline is neither timed nor
    // counted.
    settled(reported, &flush, u64::MAX);
    let before = delivered.load(Ordering::Relaxed);
    let cpu = process_cpu_nanos();
    for _ in 0..iterations {
        run();
    }
    let produced = iterations * spans_per_iteration;
    // Up to the last span reported: the exporter's work after the flush
    // counts too, the wait for spans that never come (dropped) does not.
    let (delivered, last_reported) = settled(delivered, &flush, before + produced);
    let delivered = delivered - before;
    if delivered == 0 {
        println!(
            "{name}: none of {produced} spans delivered (the count stood still for {STILL_SECONDS} s)"
        );
        return;
    }
    println!(
        "{name}: {delivered} of {produced} spans delivered, {:.0} ns of process CPU per delivered span",
        (last_reported - cpu) as f64 / delivered as f64
    );
}

/// How long a count that stands still is waited for.
const STILL_SECONDS: u32 = 5;

/// The count once `flush` has been called and the count reached `all`,
/// or has not moved for [`STILL_SECONDS`] since it last did (a minute at
/// most):
/// a flush may return before a collector thread has reported everything
/// (fastrace's reports a backlog in bursts). With it, the process's CPU
/// time when the count last moved.
fn settled(delivered: &AtomicU64, flush: &impl Fn(), all: u64) -> (u64, u64) {
    let (mut last, mut still) = (delivered.load(Ordering::Relaxed), 0);
    let mut moved = process_cpu_nanos();
    for _ in 0..600 {
        flush();
        std::thread::sleep(std::time::Duration::from_millis(100));
        let now = delivered.load(Ordering::Relaxed);
        if now != last {
            moved = process_cpu_nanos();
        }
        if now >= all {
            return (now, moved);
        }
        still = if now == last { still + 1 } else { 0 };
        if still == STILL_SECONDS * 10 {
            break;
        }
        last = now;
    }
    (last, moved)
}

fn bridge(c: &mut Criterion) {
    let mut group = c.benchmark_group("tracing bridge: 1 root + 99 children, 2 fields each");
    const CPU_ITERATIONS: u64 = 5_000;

    // The floor: the registry alone, every span made, entered and closed,
    // no layer to see them.
    tracing::subscriber::with_default(tracing_subscriber::registry(), || {
        group.bench_function("tracing-subscriber's registry, no layer", |b| b.iter(shape));
    });

    let exported = CountingExporter::default();
    let _tracer = tracekit::Tracer::builder()
        .exporter(exported.clone())
        .install();
    let tracekit_dispatch =
        tracing::Dispatch::new(tracing_subscriber::registry().with(tracekit_tracing::layer()));
    tracing::dispatcher::with_default(&tracekit_dispatch, || {
        group.bench_function("tracekit-tracing", |b| b.iter(shape));
        cpu_per_span(
            "tracekit-tracing",
            CPU_ITERATIONS,
            100,
            (&exported.0, &exported.0),
            shape,
            || {
                // Spans the queue could not hold are counted, not delivered.
                let _ = tracekit::global().flush();
            },
        );
    });

    let (subscriber, otel, provider) = otel_batch_subscriber();
    let otel_dispatch = tracing::Dispatch::new(subscriber);
    tracing::dispatcher::with_default(&otel_dispatch, || {
        group.bench_function("tracing-opentelemetry, batch exporter", |b| b.iter(shape));
        cpu_per_span(
            "tracing-opentelemetry, batch exporter",
            CPU_ITERATIONS,
            100,
            (&otel.0, &otel.0),
            shape,
            || provider.force_flush().expect("flushed"),
        );
    });

    let reported = FastraceReported::default();
    fastrace::set_reporter(reported.clone(), fastrace::collector::Config::default());
    let under_fastrace_root = |counted: bool| {
        let mut context = fastrace::collector::SpanContext::random();
        if counted {
            context.trace_id.0 = u128::from(COUNTED) << 64 | u128::from(context.trace_id.0 as u64);
        }
        let root = fastrace::Span::root("request", context);
        let _parent = root.set_local_parent();
        shape();
    };
    let fastrace_dispatch = tracing::Dispatch::new(
        tracing_subscriber::registry().with(fastrace_tracing::FastraceCompatLayer::new()),
    );
    tracing::dispatcher::with_default(&fastrace_dispatch, || {
        group.bench_function("fastrace-tracing", |b| {
            b.iter(|| under_fastrace_root(false))
        });
        cpu_per_span(
            "fastrace-tracing (+ its fastrace root)",
            CPU_ITERATIONS,
            101,
            (&reported.all, &reported.counted),
            || under_fastrace_root(true),
            fastrace::flush,
        );
    });
    group.finish();

    // The four again, in alternating rounds; each case's time per span.
    const ITERATIONS: u32 = 200;
    let per_span = |dispatch: &tracing::Dispatch, run: &dyn Fn()| {
        tracing::dispatcher::with_default(dispatch, || {
            let began = std::time::Instant::now();
            for _ in 0..ITERATIONS {
                run();
            }
            began.elapsed().as_nanos() as f64 / f64::from(ITERATIONS * 100)
        })
    };
    let registry = tracing::Dispatch::new(tracing_subscriber::registry());
    let table = rounds::time_in_rounds(
        31,
        &mut [
            &mut || per_span(&registry, &shape),
            &mut || per_span(&tracekit_dispatch, &shape),
            &mut || per_span(&otel_dispatch, &shape),
            &mut || per_span(&fastrace_dispatch, &|| under_fastrace_root(false)),
        ],
    );
    let column = |case: usize| -> Vec<f64> { table.iter().map(|row| row[case]).collect() };
    let ratio = |peer: usize| -> Vec<f64> { table.iter().map(|row| row[1] / row[peer]).collect() };
    println!("tracing bridge, rounds (ns per span):");
    rounds::report("  tracing-subscriber's registry, no layer", &column(0));
    rounds::report("  tracekit-tracing", &column(1));
    rounds::report("  tracing-opentelemetry, batch exporter", &column(2));
    rounds::report("  fastrace-tracing", &column(3));
    rounds::report("  tracekit ÷ tracing-opentelemetry, per round", &ratio(2));
    rounds::report("  tracekit ÷ fastrace-tracing, per round", &ratio(3));
    let _ = tracekit::global().flush();
    provider.force_flush().expect("flushed");
}

criterion_group!(benches, bridge);
criterion_main!(benches);
