//! tracekit-sql's sqlx pool against sqlx-otel's, on one in-memory SQLite
//! connection; built and run by `run.sh` beside it (see there for why it
//! is a project of its own).
//!
//! Usage: `sqlx-otel-bench [ROUNDS] [QUERIES_PER_BLOCK]`; `OTEL_BATCH=1`
//! gives OpenTelemetry the SDK's batch span processor instead of one that
//! only counts.

use std::hint::black_box;
use std::sync::atomic::Ordering;

use opentelemetry::trace::{TraceContextExt as _, Tracer as _, TracerProvider as _};

#[path = "../counting.rs"]
mod counting;
use counting::{CountingExporter, OtelCounter, OtelExported, process_cpu_nanos};

const QUERY: &str = "SELECT count FROM stock WHERE item = ?";

async fn stocked_pool() -> sqlx::SqlitePool {
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect("sqlite::memory:")
        .await
        .expect("an in-memory database");
    sqlx::raw_sql(
        "CREATE TABLE stock (item TEXT PRIMARY KEY, count INTEGER NOT NULL);
         INSERT INTO stock VALUES ('apple', 5);",
    )
    .execute(&pool)
    .await
    .expect("the table");
    pool
}

/// The one query, through `executor`.
async fn count_apples<'e>(executor: impl sqlx::SqliteExecutor<'e>) -> i64 {
    sqlx::query_scalar(QUERY)
        .bind("apple")
        .fetch_one(executor)
        .await
        .expect("a count")
}

/// Mean, its standard error, and median.
fn summary(values: &[f64]) -> (f64, f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    (mean, (variance / n).sqrt(), sorted[sorted.len() / 2])
}

fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().map_or(600, |a| a.parse().expect("ROUNDS"));
    let per_block: usize = args.next().map_or(20, |a| a.parse().expect("QUERIES"));

    let tracekit_spans = CountingExporter::default();
    let _tracer = tracekit::Tracer::builder()
        .exporter(tracekit_spans.clone())
        .install();
    let counted = OtelCounter::default();
    let exported = OtelExported::default();
    let provider = if std::env::var_os("OTEL_BATCH").is_some() {
        opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_batch_exporter(exported.clone())
            .build()
    } else {
        opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_span_processor(counted.clone())
            .build()
    };
    opentelemetry::global::set_tracer_provider(provider.clone());
    let otel_tracer = provider.tracer("sqlx-otel-bench");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let (plain, traced, with_otel) = runtime.block_on(async {
        let plain = stocked_pool().await;
        let traced = tracekit_sql::sqlx::Pool::new(plain.clone());
        let with_otel = sqlx_otel::PoolBuilder::from(plain.clone()).build();
        (plain, traced, with_otel)
    });
    // Each wrapper's spans under a request span of its own kind.
    let root = tracekit::global().span("request").start();
    let otel_context = opentelemetry::Context::current_with_span(otel_tracer.start("request"));

    // The CPU time of one block of queries in `case`, per query.
    let block = |case: usize| -> f64 {
        let before = process_cpu_nanos();
        for _ in 0..per_block {
            let count = match case {
                0 => runtime.block_on(count_apples(&plain)),
                1 => {
                    let _scope = root.activate();
                    runtime.block_on(count_apples(&traced))
                }
                _ => {
                    let _attached = otel_context.clone().attach();
                    runtime.block_on(count_apples(&with_otel))
                }
            };
            black_box(count);
        }
        (process_cpu_nanos() - before) as f64 / per_block as f64
    };
    // Warm up, then the rounds: each case once a round, taking turns first.
    for round in 0..30 {
        for k in 0..3 {
            block((round + k) % 3);
        }
    }
    let mut plain_times = Vec::with_capacity(rounds);
    let mut tracekit_overheads = Vec::with_capacity(rounds);
    let mut otel_overheads = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let mut times = [0.0; 3];
        for k in 0..3 {
            let case = (round + k) % 3;
            times[case] = block(case);
        }
        plain_times.push(times[0]);
        tracekit_overheads.push(times[1] - times[0]);
        otel_overheads.push(times[2] - times[0]);
    }

    let (plain_mean, plain_error, plain_median) = summary(&plain_times);
    let (tracekit_mean, tracekit_error, tracekit_median) = summary(&tracekit_overheads);
    let (otel_mean, otel_error, otel_median) = summary(&otel_overheads);
    println!(
        "  {rounds} rounds of {per_block} queries, CPU of the process a query (mean ± standard error, median):"
    );
    println!("  sqlx alone: {plain_mean:.0} ± {plain_error:.0} ns ({plain_median:.0})");
    println!(
        "  tracekit-sql's overhead: {tracekit_mean:.0} ± {tracekit_error:.0} ns ({tracekit_median:.0})"
    );
    println!("  sqlx-otel's overhead: {otel_mean:.0} ± {otel_error:.0} ns ({otel_median:.0})");
    println!(
        "  tracekit-sql ÷ sqlx-otel, ratio of the mean overheads: {:.3}",
        tracekit_mean / otel_mean
    );
    drop(root);
    let _ = tracekit::global().flush();
    let _ = provider.force_flush();
    println!(
        "  spans delivered: tracekit {}, OpenTelemetry {}",
        tracekit_spans.0.load(Ordering::Relaxed),
        counted.0.load(Ordering::Relaxed) + exported.0.load(Ordering::Relaxed)
    );
}
