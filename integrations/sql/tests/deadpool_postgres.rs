//! The traced deadpool-postgres pool against a real PostgreSQL server:
//! the wait for a connection is a tag on the first statement's span.

mod support;

use std::time::Duration;

use support::postgres::Postgres;
use tracekit::{TagValue, testing};
use tracekit_sql::DbConfig;
use tracekit_sql::deadpool_postgres::Pool;

fn pool(server: &Postgres) -> Pool {
    let config: tokio_postgres::Config = server.conninfo().parse().expect("a configuration");
    let manager = deadpool_postgres::Manager::new(config, tokio_postgres::NoTls);
    let pool = deadpool_postgres::Pool::builder(manager)
        .max_size(1)
        .build()
        .expect("a pool");
    Pool::new(pool, DbConfig::postgres().namespace("postgres"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wait_for_a_pooled_connection_is_a_tag_on_the_first_statements_span() {
    let server = Postgres::start();
    let pool = pool(&server);
    let (_, spans) = testing::capture_async(async {
        let held = pool.get().await.unwrap();
        // The one connection is held for 300 ms; the second get waits.
        let release = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            drop(held);
        });
        let db = pool.get().await.unwrap();
        db.query_one("SELECT 1", &[]).await.unwrap();
        db.query_one("SELECT 2", &[]).await.unwrap();
        release.await.unwrap();
    })
    .await;
    assert_eq!(spans.len(), 2, "{spans:?}");
    let waited = spans[0]
        .tag("db.client.connection.wait_time")
        .and_then(TagValue::as_f64);
    assert!(waited.is_some_and(|seconds| seconds >= 0.2), "{waited:?}");
    assert_eq!(
        spans[1].tag("db.client.connection.wait_time"),
        None,
        "only the first"
    );
    assert_eq!(spans[0].name, "SELECT");
    assert_eq!(
        spans[0].tag("db.system.name"),
        Some(&TagValue::from("postgresql"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pooled_connection_runs_transactions_too() {
    let server = Postgres::start();
    let pool = pool(&server);
    let (_, spans) = testing::capture_async(async {
        let mut db = pool.get().await.unwrap();
        db.batch_execute("CREATE TABLE t (a INTEGER)")
            .await
            .unwrap();
        let tx = db.transaction().await.unwrap();
        tx.execute("INSERT INTO t VALUES (1)", &[]).await.unwrap();
        tx.commit().await.unwrap();
    })
    .await;
    let names: Vec<&str> = spans.iter().map(|s| &*s.name).collect();
    assert_eq!(names, ["CREATE TABLE t", "BEGIN", "INSERT t", "COMMIT"]);
}
