//! What tracing a SQL statement costs, I/O aside: the same query on the
//! same in-memory SQLite database through rusqlite alone, through the
//! traced client (a sampled parent, a counting exporter), and inside a
//! `tracing` span with the same attributes over tracing-opentelemetry
//! (with a span processor that only counts; the rounds below add the
//! SDK's batch span processor);
//! the same three on a PostgreSQL server of the bench's own, on loopback
//! (skipped, with a note, when PostgreSQL is not installed); and the
//! sanitizer on a 1 KB statement, first seen and seen before. After
//! criterion's cases, the overheads again in alternating rounds (see
//! `rounds.rs`), with their ratio per round: SQLite's by the clock,
//! PostgreSQL's by the process's CPU time in many short rounds (its CPU
//! per query drifts by more than a span costs within seconds, which
//! criterion's runs, one case after the other, cannot cancel).
//!
//! `cargo bench --bench sql`

mod rounds;
#[allow(dead_code)] // the async helpers serve the comparison bench
mod support;
// The tests' servers: PostgreSQL in a directory of its own.
#[path = "../integrations/sql/tests/support/mod.rs"]
mod servers;

use std::hint::black_box;
use std::sync::atomic::Ordering;

use criterion::{Criterion, criterion_group, criterion_main};
use support::{
    CountingExporter, flush_global, otel_batch_subscriber, otel_subscriber, process_cpu_nanos,
};
use tracekit_sql::{Dialect, sanitize, sanitized};

const QUERY: &str = "SELECT count FROM stock WHERE item = ?1";

fn stock(db: &rusqlite::Connection) {
    db.execute_batch(
        "CREATE TABLE stock (item TEXT PRIMARY KEY, count INTEGER NOT NULL);
         INSERT INTO stock VALUES ('apple', 5), ('kiwi', 0), ('pear', 2);",
    )
    .expect("the table");
}

fn count(db: &rusqlite::Connection) -> i64 {
    db.query_row(QUERY, ["apple"], |row| row.get(0))
        .expect("a row")
}

/// [`count`] through the traced connection.
fn count_traced(db: &tracekit_sql::rusqlite::Connection) -> i64 {
    db.query_row(QUERY, ["apple"], |row| row.get(0))
        .expect("a row")
}

/// The query inside a `tracing` span with the attributes tracekit-sql
/// records.
fn count_in_tracing_span(db: &rusqlite::Connection) -> i64 {
    let span = tracing::info_span!(
        "SELECT stock",
        otel.kind = "client",
        db.system.name = "sqlite",
        db.namespace = "main",
        db.operation.name = "SELECT",
        db.collection.name = "stock",
        db.query.summary = "SELECT stock",
        db.query.text = QUERY,
    );
    span.in_scope(|| black_box(count(db)))
}

/// A statement of about 1 KB with literals of every kind.
fn kilobyte_statement() -> String {
    let mut sql = String::from(
        "SELECT o.id, o.total, c.name FROM orders o JOIN customers c ON o.customer = c.id WHERE ",
    );
    let mut n = 0;
    while sql.len() < 1000 {
        sql.push_str(&format!(
            "(o.region = 'region-{n}' AND o.total > {n}.5 AND o.flag = TRUE) OR "
        ));
        n += 1;
    }
    sql.push_str("o.id IN (1, 2, 3, 4) /* a note */ ORDER BY o.id LIMIT 10");
    sql
}

fn queries(c: &mut Criterion) {
    let mut group = c.benchmark_group("sqlite query, in memory");

    let plain = rusqlite::Connection::open_in_memory().unwrap();
    stock(&plain);
    group.bench_function("rusqlite alone", |b| b.iter(|| black_box(count(&plain))));

    let exported = CountingExporter::default();
    let _tracer = tracekit::Tracer::builder()
        .exporter(exported.clone())
        .install();
    let traced = tracekit_sql::rusqlite::Connection::open_in_memory().unwrap();
    stock(traced.untraced());
    let root = tracekit::global().span("request").start();
    let scope = root.activate();
    group.bench_function("tracekit-sql, sampled", |b| {
        b.iter(|| black_box(count_traced(&traced)))
    });
    drop(scope);
    drop(root);
    flush_global();
    assert!(exported.0.load(Ordering::Relaxed) > 0);

    let (subscriber, otel) = otel_subscriber();
    tracing::subscriber::with_default(subscriber, || {
        let request = tracing::info_span!("request");
        let _entered = request.enter();
        group.bench_function("tracing + opentelemetry span, same attributes", |b| {
            b.iter(|| count_in_tracing_span(&plain))
        });
    });
    assert!(otel.0.load(Ordering::Relaxed) > 0);
    group.finish();

    sqlite_overhead_in_rounds(&plain, &traced);
    postgres_queries(c, &exported);

    let mut group = c.benchmark_group("sanitizer");
    let statement = kilobyte_statement();
    group.bench_function(format!("{} bytes, first seen", statement.len()), |b| {
        b.iter(|| black_box(sanitize(black_box(&statement), Dialect::Postgres)))
    });
    group.bench_function(format!("{} bytes, seen before", statement.len()), |b| {
        b.iter(|| black_box(sanitized(black_box(&statement), Dialect::Postgres)))
    });
    group.finish();
}

/// The overheads on SQLite again, the three cases timed in alternating
/// rounds (see `rounds.rs`), with each round's ratio of the two
/// overheads: the same query alone, through tracekit-sql under a sampled
/// root, and inside a `tracing` span with the same attributes under
/// tracing-opentelemetry.
fn sqlite_overhead_in_rounds(
    plain: &rusqlite::Connection,
    traced: &tracekit_sql::rusqlite::Connection,
) {
    let began = std::time::Instant::now();
    overheads_in_rounds(
        "sqlite query, in memory, rounds",
        (41, 4_000),
        &|| began.elapsed().as_nanos() as u64,
        &mut || {
            black_box(count(plain));
        },
        &mut || {
            black_box(count_traced(traced));
        },
        &mut || {
            count_in_tracing_span(plain);
        },
    );
}

/// The untraced query (`plain`), the query through tracekit-sql under a
/// sampled root (`traced`) and the query in a `tracing` span under
/// tracing-opentelemetry (`in_tracing_span`) twice: with a span processor
/// that only counts (the conservative comparison) and with the SDK's
/// batch span processor (what a service runs, and what tracekit's own
/// spans always go through: its pipeline to the exporter thread). In
/// `rounds` alternating rounds of `queries` each, timed per query by
/// `clock` (nanoseconds); reports the overheads and their ratios.
fn overheads_in_rounds(
    title: &str,
    (rounds, queries): (usize, u32),
    clock: &dyn Fn() -> u64,
    plain: &mut dyn FnMut(),
    traced: &mut dyn FnMut(),
    in_tracing_span: &mut dyn FnMut(),
) {
    let per_query = |run: &mut dyn FnMut()| {
        let before = clock();
        for _ in 0..queries {
            run();
        }
        (clock() - before) as f64 / f64::from(queries)
    };
    let root = tracekit::global().span("request").start();
    let (subscriber, _otel) = otel_subscriber();
    let counting = tracing::Dispatch::new(subscriber);
    let (subscriber, batched, provider) = otel_batch_subscriber();
    let batch = tracing::Dispatch::new(subscriber);
    let in_span_under = |dispatch: &tracing::Dispatch, run: &mut dyn FnMut()| {
        tracing::dispatcher::with_default(dispatch, || {
            let request = tracing::info_span!("request");
            let _entered = request.enter();
            per_query(run)
        })
    };
    let in_tracing_span = std::cell::RefCell::new(in_tracing_span);
    let table = rounds::time_in_rounds(
        rounds,
        &mut [
            &mut || per_query(plain),
            &mut || {
                let _scope = root.activate();
                per_query(traced)
            },
            &mut || in_span_under(&counting, &mut *in_tracing_span.borrow_mut()),
            &mut || in_span_under(&batch, &mut *in_tracing_span.borrow_mut()),
        ],
    );
    report_overheads(title, &table);
    drop(root);
    flush_global();
    provider.force_flush().expect("flushed");
    assert!(batched.0.load(Ordering::Relaxed) > 0);
}

/// Reports the overheads of a table of rounds (the untraced case, then
/// tracekit's, then tracing's with the counting processor and with the
/// batch processor, in ns per query) and tracekit's ratios to the other
/// two.
fn report_overheads(title: &str, table: &[Vec<f64>]) {
    let overhead =
        |case: usize| -> Vec<f64> { table.iter().map(|row| row[case] - row[0]).collect() };
    let tracekit = overhead(1);
    println!("{title} (ns per query):");
    rounds::report(
        "  untraced",
        &table.iter().map(|row| row[0]).collect::<Vec<_>>(),
    );
    rounds::report("  tracekit-sql overhead", &tracekit);
    // Where one round's overheads are mostly noise (PostgreSQL's), their
    // ratio is too; the ratio of the means is not.
    let mean = |values: &[f64]| values.iter().sum::<f64>() / values.len() as f64;
    for (case, processor) in [(2, "counting span processor"), (3, "batch span processor")] {
        let tracing = overhead(case);
        let ratios: Vec<f64> = tracekit.iter().zip(&tracing).map(|(k, t)| k / t).collect();
        println!("  tracing + opentelemetry, {processor}:");
        rounds::report("    overhead", &tracing);
        rounds::report("    ratio of the overheads, per round", &ratios);
        println!(
            "    ratio of the mean overheads: {:.3}",
            mean(&tracekit) / mean(&tracing)
        );
    }
}

const PG_QUERY: &str = "SELECT count FROM stock WHERE item = $1";

async fn pg_count(client: &tokio_postgres::Client) -> i32 {
    let row = client
        .query_one(PG_QUERY, &[&"apple"])
        .await
        .expect("a row");
    row.get(0)
}

async fn pg_count_traced(client: &tracekit_sql::tokio_postgres::Client) -> i32 {
    let row = client
        .query_one(PG_QUERY, &[&"apple"])
        .await
        .expect("a row");
    row.get(0)
}

/// The query inside a `tracing` span with the attributes tracekit-sql
/// records.
fn pg_count_in_tracing_span(
    runtime: &tokio::runtime::Runtime,
    client: &tokio_postgres::Client,
) -> i32 {
    let span = tracing::info_span!(
        "SELECT stock",
        otel.kind = "client",
        db.system.name = "postgresql",
        db.operation.name = "SELECT",
        db.collection.name = "stock",
        db.query.summary = "SELECT stock",
        db.query.text = PG_QUERY,
    );
    let _entered = span.enter();
    runtime.block_on(pg_count(client))
}

/// The same three on a PostgreSQL server on loopback, timed by the CPU
/// time of this process (every thread, the exporter's included): the
/// round trip, waited for, is left out, and its noise (a few µs from run
/// to run) with it; the server's own work is in another process.
fn postgres_queries(c: &mut Criterion, exported: &CountingExporter) {
    let Ok(server) = std::panic::catch_unwind(servers::postgres::Postgres::start) else {
        eprintln!("postgresql query, loopback: skipped (PostgreSQL is not installed)");
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    // One connection for all three: the same server process answers.
    let traced =
        tracekit_sql::tokio_postgres::Client::new(runtime.block_on(server.stocked_client()));
    let plain = traced.untraced();
    let mut group = c.benchmark_group("postgresql query, loopback, process CPU");
    group.bench_function("tokio-postgres alone", |b| {
        on_cpu(b, || black_box(runtime.block_on(pg_count(plain))))
    });

    let before = exported.0.load(Ordering::Relaxed);
    let root = tracekit::global().span("request").start();
    let scope = root.activate();
    group.bench_function("tracekit-sql, sampled", |b| {
        on_cpu(b, || black_box(runtime.block_on(pg_count_traced(&traced))))
    });
    drop(scope);
    drop(root);
    flush_global();
    assert!(exported.0.load(Ordering::Relaxed) > before);

    let (subscriber, otel) = otel_subscriber();
    tracing::subscriber::with_default(subscriber, || {
        let request = tracing::info_span!("request");
        let _entered = request.enter();
        group.bench_function("tracing + opentelemetry span, same attributes", |b| {
            on_cpu(b, || black_box(pg_count_in_tracing_span(&runtime, plain)))
        });
    });
    assert!(otel.0.load(Ordering::Relaxed) > 0);
    group.finish();
    postgres_overhead_in_rounds(&runtime, plain, &traced);
}

/// The overheads on PostgreSQL again, the three cases of
/// [`postgres_queries`] in alternating rounds, each timed by the CPU time
/// of this process per query: criterion runs them one after the other,
/// and the process's CPU per query drifts by more than a span costs
/// between them.
fn postgres_overhead_in_rounds(
    runtime: &tokio::runtime::Runtime,
    plain: &tokio_postgres::Client,
    traced: &tracekit_sql::tokio_postgres::Client,
) {
    overheads_in_rounds(
        "postgresql query, loopback, process CPU, rounds",
        // Short rounds, many of them: the process's CPU per query drifts
        // by several µs over seconds, so the cases are interleaved finely
        // and the overheads' median and mean taken over many rounds.
        (600, 20),
        &process_cpu_nanos,
        &mut || {
            black_box(runtime.block_on(pg_count(plain)));
        },
        &mut || {
            black_box(runtime.block_on(pg_count_traced(traced)));
        },
        &mut || {
            black_box(pg_count_in_tracing_span(runtime, plain));
        },
    );
}

/// Times `run` by the CPU time of the process.
fn on_cpu<R>(b: &mut criterion::Bencher<'_>, mut run: impl FnMut() -> R) {
    b.iter_custom(|iters| {
        let before = process_cpu_nanos();
        for _ in 0..iters {
            black_box(run());
        }
        std::time::Duration::from_nanos(process_cpu_nanos() - before)
    })
}

criterion_group!(benches, queries);
criterion_main!(benches);
