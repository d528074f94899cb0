//! What tracing a SQL statement costs, I/O aside: the same query on the
//! same in-memory SQLite database through rusqlite alone, through the
//! traced client (a sampled parent, a counting exporter), and inside a
//! `tracing` span with the same attributes over tracing-opentelemetry;
//! and the sanitizer on a 1 KB statement, first seen and seen before.
//!
//! `cargo bench --bench sql`

#[allow(dead_code)] // the async helpers serve the comparison bench
mod support;

use std::hint::black_box;
use std::sync::atomic::Ordering;

use criterion::{Criterion, criterion_group, criterion_main};
use support::{CountingExporter, otel_subscriber};
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
        b.iter(|| {
            let n: i64 = traced
                .query_row(QUERY, ["apple"], |row| row.get(0))
                .expect("a row");
            black_box(n)
        })
    });
    drop(scope);
    drop(root);
    tracekit::global().flush().expect("flushed");
    assert!(exported.0.load(Ordering::Relaxed) > 0);

    let (subscriber, otel) = otel_subscriber();
    tracing::subscriber::with_default(subscriber, || {
        let request = tracing::info_span!("request");
        let _entered = request.enter();
        group.bench_function("tracing + opentelemetry span, same attributes", |b| {
            b.iter(|| {
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
                span.in_scope(|| black_box(count(&plain)))
            })
        });
    });
    assert!(otel.0.load(Ordering::Relaxed) > 0);
    group.finish();

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

criterion_group!(benches, queries);
criterion_main!(benches);
