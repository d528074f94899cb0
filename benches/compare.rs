//! tracekit against `tracing` and `fastrace`, in one binary and one run.
//!
//! Every case is one root span and 1000 child spans, each child a call of an
//! instrumented (never inlined) function, except "1000 roots": the same
//! calls with no root, so each makes a trace of its own. Spans go to a sink
//! that counts and drops them. tracekit's and OpenTelemetry's counts must equal what the
//! cases produced; fastrace's delivered share is printed (it drops spans
//! when its queues overflow). A bare `tracing` registry has no sink.
//!
//! Run with `cargo bench --bench compare` (add `-- --quick` for a fast pass).

#[path = "support.rs"]
#[allow(dead_code)] // the process CPU clock serves the other benches
mod support;

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use support::{CountingExporter, YieldOnce, block_on, otel_subscriber};

const CHILDREN: u64 = 1000;

// --- the instrumented functions ---

#[inline(never)]
fn plain() -> u64 {
    black_box(1)
}

#[tracekit::traced]
#[inline(never)]
fn tracekit_child() -> u64 {
    black_box(1)
}

#[tracekit::traced]
#[inline(never)]
fn tracekit_four_args(user: u64, order: i64, region: &str, plan: &str) -> u64 {
    black_box(user + order as u64 + region.len() as u64 + plan.len() as u64)
}

/// The same four values as `tracekit_four_args`, as one derived argument.
#[derive(tracekit::Tags)]
struct Purchase<'a> {
    user: u64,
    order: i64,
    region: &'a str,
    plan: &'a str,
}

#[tracekit::traced]
#[inline(never)]
fn tracekit_derived(purchase: &Purchase<'_>) -> u64 {
    let Purchase {
        user,
        order,
        region,
        plan,
    } = purchase;
    black_box(user + *order as u64 + region.len() as u64 + plan.len() as u64)
}

#[tracekit::traced]
#[inline(never)]
async fn tracekit_async_child() -> u64 {
    YieldOnce::default().await;
    YieldOnce::default().await;
    black_box(1)
}

#[tracing::instrument]
#[inline(never)]
fn tracing_child() -> u64 {
    black_box(1)
}

#[fastrace::trace]
#[inline(never)]
fn fastrace_child() -> u64 {
    black_box(1)
}

#[fastrace::trace(properties = { "user": "{user}" })]
#[inline(never)]
fn fastrace_one_property(user: u64) -> u64 {
    black_box(user)
}

// --- sinks that count ---

#[derive(Clone, Default)]
struct FastraceCounter(Arc<AtomicU64>);

impl fastrace::collector::Reporter for FastraceCounter {
    fn report(&mut self, spans: Vec<fastrace::collector::SpanRecord>) {
        self.0.fetch_add(spans.len() as u64, Ordering::Relaxed);
    }
}

/// Counts what a case produced, to compare with what reached its sink.
#[derive(Default)]
struct Produced(AtomicU64);

impl Produced {
    fn add(&self, spans: u64) {
        self.0.fetch_add(spans, Ordering::Relaxed);
    }

    fn take(&self) -> u64 {
        self.0.swap(0, Ordering::Relaxed)
    }
}

fn children(mut child: impl FnMut() -> u64) -> u64 {
    (0..CHILDREN).map(|_| child()).sum()
}

fn spans(c: &mut Criterion) {
    let produced = Produced::default();
    let mut group = c.benchmark_group("1 root + 1000 children");

    // Nothing installed yet: the "off" cases of every library.
    group.bench_function("plain call", |b| b.iter(|| children(plain)));
    group.bench_function("tracekit: no tracer installed", |b| {
        b.iter(|| children(tracekit_child))
    });
    group.bench_function("tracing: no subscriber", |b| {
        b.iter(|| children(tracing_child))
    });
    group.bench_function("fastrace: no root span", |b| {
        b.iter(|| children(fastrace_child))
    });

    // tracekit, installed once with a sink that counts.
    let exported = CountingExporter::default();
    let _tracer = tracekit::Tracer::builder()
        .exporter(exported.clone())
        .batch(tracekit::BatchConfig {
            max_queue_size: 1 << 20,
            max_export_batch_size: 1024,
            ..tracekit::BatchConfig::default()
        })
        .install();
    let tracer = tracekit::global();
    let unsampled = tracekit::Context::from_span_context(tracekit::SpanContext::new(
        tracekit::TraceId::from_u128(1),
        tracekit::SpanId::new(1).expect("non-zero"),
        false,
    ));
    group.bench_function("tracekit: unsampled", |b| {
        b.iter(|| unsampled.run(|| children(tracekit_child)))
    });
    let sampled = |child: &dyn Fn() -> u64| {
        let root = tracer.span("root").ignore_active().start();
        let _scope = root.activate();
        produced.add(CHILDREN + 1);
        children(child)
    };
    group.bench_function("tracekit: sampled", |b| b.iter(|| sampled(&tracekit_child)));
    group.bench_function("tracekit: sampled, 4 argument tags", |b| {
        b.iter(|| sampled(&|| tracekit_four_args(7, -3, "eu-west", "premium")))
    });
    group.bench_function("tracekit: sampled, a derived struct of those 4", |b| {
        b.iter(|| {
            sampled(&|| {
                tracekit_derived(&Purchase {
                    user: 7,
                    order: -3,
                    region: "eu-west",
                    plan: "premium",
                })
            })
        })
    });
    group.bench_function("tracekit: unsampled, a derived struct of 4", |b| {
        b.iter(|| {
            unsampled.run(|| {
                children(|| {
                    tracekit_derived(&Purchase {
                        user: 7,
                        order: -3,
                        region: "eu-west",
                        plan: "premium",
                    })
                })
            })
        })
    });
    group.bench_function("tracekit: async, 3 polls each", |b| {
        b.iter(|| sampled(&|| block_on(tracekit_async_child())))
    });
    // No root: each call is one, a trace of its own, like a request
    // handler on a server's worker.
    group.bench_function("tracekit: 1000 roots", |b| {
        b.iter(|| {
            produced.add(CHILDREN);
            children(tracekit_child)
        })
    });
    tracer.flush().expect("tracekit flushed");
    assert_eq!(
        exported.0.load(Ordering::Relaxed),
        produced.take(),
        "every tracekit span reached the sink"
    );

    // tracing with a bare registry (no layer: nothing leaves the process).
    tracing::subscriber::with_default(tracing_subscriber::registry(), || {
        group.bench_function("tracing: bare registry", |b| {
            b.iter(|| tracing::info_span!("root").in_scope(|| children(tracing_child)))
        });
    });

    // tracing + tracing-opentelemetry over the OpenTelemetry SDK.
    let (subscriber, otel) = otel_subscriber();
    tracing::subscriber::with_default(subscriber, || {
        group.bench_function("tracing + opentelemetry", |b| {
            b.iter(|| {
                produced.add(CHILDREN + 1);
                tracing::info_span!("root").in_scope(|| children(tracing_child))
            })
        });
    });
    assert_eq!(
        otel.0.load(Ordering::Relaxed),
        produced.take(),
        "every OpenTelemetry span reached the sink"
    );

    // fastrace with a reporter that counts.
    let reported = FastraceCounter::default();
    fastrace::set_reporter(reported.clone(), fastrace::collector::Config::default());
    let fastrace_root = |child: &dyn Fn() -> u64| {
        let root = fastrace::Span::root("root", fastrace::collector::SpanContext::random());
        let _guard = root.set_local_parent();
        produced.add(CHILDREN + 1);
        children(child)
    };
    group.bench_function("fastrace: enabled", |b| {
        b.iter(|| fastrace_root(&fastrace_child))
    });
    group.bench_function("fastrace: one property", |b| {
        b.iter(|| fastrace_root(&|| fastrace_one_property(7)))
    });
    fastrace::flush();
    // fastrace drops spans when its per-thread queues overflow; say how many
    // arrived rather than stopping the run.
    // (Nothing made when a filter left fastrace's cases out.)
    let (arrived, made) = (reported.0.load(Ordering::Relaxed), produced.take());
    if made > 0 {
        assert!(arrived > 0, "fastrace spans reached the reporter");
        eprintln!(
            "fastrace delivered {arrived} of {made} spans ({:.1}%)",
            100.0 * arrived as f64 / made as f64
        );
    }

    group.finish();
}

criterion_group!(benches, spans);
criterion_main!(benches);
