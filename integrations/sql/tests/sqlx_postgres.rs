//! sqlx traced on a real PostgreSQL server of each test's own: the
//! server's attributes, SQLSTATEs, the wait for a pooled connection, a
//! transaction of the pool, a cancelled query and the traceparent the
//! server receives.

mod support;

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::{Executor as _, Row as _};
use support::postgres::Postgres;
use support::{tag, text};
use tracekit::{SpanKind, SpanRecord, TagValue, testing};
use tracekit_sql::DbConfig;
use tracekit_sql::sqlx::Pool;

/// A traced pool of one connection to `server`, the stock table filled.
async fn pool(server: &Postgres, config: DbConfig) -> Pool<sqlx::Postgres> {
    let url = format!("postgres://postgres@127.0.0.1:{}/postgres", server.port);
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .expect("connected");
    pool.execute(
        "CREATE TABLE stock (item TEXT PRIMARY KEY, count INTEGER NOT NULL);
         INSERT INTO stock VALUES ('apple', 5), ('kiwi', 0);",
    )
    .await
    .expect("the table");
    Pool::with_config(
        pool,
        config
            .namespace("postgres")
            .server("127.0.0.1", server.port),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_are_client_spans_with_the_servers_attributes() {
    let server = Postgres::start();
    let pool = pool(&server, DbConfig::postgres().record_rows(true)).await;
    let (count, spans) = testing::capture_async(async {
        let row = sqlx::query("SELECT count FROM stock WHERE item = $1 AND count > 2")
            .bind("apple")
            .fetch_one(&pool)
            .await
            .unwrap();
        row.get::<i32, _>(0)
    })
    .await;
    assert_eq!(count, 5);
    let span = &spans[0];
    assert_eq!(span.name, "SELECT stock");
    assert_eq!(span.kind, SpanKind::Client);
    assert_eq!(tag(span, "db.system.name"), text("postgresql"));
    assert_eq!(tag(span, "db.namespace"), text("postgres"));
    assert_eq!(tag(span, "server.address"), text("127.0.0.1"));
    assert_eq!(
        tag(span, "server.port"),
        Some(TagValue::I64(i64::from(server.port)))
    );
    assert_eq!(
        tag(span, "db.query.text"),
        text("SELECT count FROM stock WHERE item = $1 AND count > ?")
    );
    assert_eq!(
        tag(span, "db.response.returned_rows"),
        Some(TagValue::I64(1))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_carry_their_sqlstate_and_never_the_values() {
    let server = Postgres::start();
    let pool = pool(&server, DbConfig::postgres()).await;
    let (_, spans) = testing::capture_async(async {
        assert!(sqlx::query("SELEC 1").execute(&pool).await.is_err());
        let taken = sqlx::query("INSERT INTO stock VALUES ($1, 1)")
            .bind("apple")
            .execute(&pool)
            .await;
        assert!(taken.is_err());
        let quoted = sqlx::query("INSERT INTO stock VALUES ('x', 'secret-apple-value')")
            .execute(&pool)
            .await;
        assert!(quoted.is_err());
    })
    .await;
    assert!(spans.iter().all(SpanRecord::is_error), "{spans:?}");
    assert_eq!(tag(&spans[0], "db.response.status_code"), text("42601"));
    assert_eq!(tag(&spans[1], "db.response.status_code"), text("23505"));
    assert_eq!(tag(&spans[1], "error.type"), text("23505"));
    assert_eq!(tag(&spans[2], "db.response.status_code"), text("22P02"));
    let message = spans[2]
        .log_event("error")
        .unwrap()
        .field("message")
        .cloned();
    assert_eq!(message, text("invalid input syntax for type integer: ?"));
    let recorded = format!("{spans:?}");
    assert!(!recorded.contains("secret-apple-value"), "{recorded}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wait_for_the_pools_connection_and_its_transaction_are_recorded() {
    let server = Postgres::start();
    let pool = pool(&server, DbConfig::postgres()).await;
    let (_, spans) = testing::capture_async(async {
        let held = pool.untraced().acquire().await.unwrap();
        let release = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            drop(held);
        });
        // Waits for the held connection, then runs.
        sqlx::query("SELECT 1").execute(&pool).await.unwrap();
        release.await.unwrap();
        let mut tx = pool.begin().await.unwrap();
        sqlx::query("UPDATE stock SET count = 6 WHERE item = 'apple'")
            .execute(&mut tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    })
    .await;
    let names: Vec<&str> = spans.iter().map(|span| span.name.as_ref()).collect();
    assert_eq!(names, ["SELECT", "BEGIN", "UPDATE stock", "COMMIT"]);
    let waited = spans[0]
        .tag("db.client.connection.wait_time")
        .and_then(TagValue::as_f64);
    assert!(waited.is_some_and(|seconds| seconds >= 0.2), "{waited:?}");
    assert!(spans[1].tag("db.client.connection.wait_time").is_some());
    let count: i32 = sqlx::query_scalar("SELECT count FROM stock WHERE item = 'apple'")
        .fetch_one(pool.untraced())
        .await
        .unwrap();
    assert_eq!(count, 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_given_up_on_ends_cancelled() {
    let server = Postgres::start();
    let pool = pool(&server, DbConfig::postgres()).await;
    let (_, spans) = testing::capture_async(async {
        let slow = sqlx::query("SELECT pg_sleep(5)").execute(&pool);
        assert!(
            tokio::time::timeout(Duration::from_millis(100), slow)
                .await
                .is_err()
        );
    })
    .await;
    assert_eq!(spans[0].name, "SELECT");
    assert_eq!(tag(&spans[0], "cancelled"), Some(TagValue::Bool(true)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlcommenter_sends_the_spans_traceparent_to_the_server() {
    let server = Postgres::start();
    let pool = pool(&server, DbConfig::postgres().sqlcommenter(true)).await;
    let (seen, spans) = testing::capture_async(async {
        sqlx::query_scalar::<_, String>("SELECT current_query()")
            .fetch_one(&pool)
            .await
            .unwrap()
    })
    .await;
    let span = &spans[0];
    assert_eq!(
        seen,
        format!(
            "SELECT current_query() /*traceparent='00-{}-{}-01'*/",
            span.trace_id, span.span_id
        )
    );
    assert_eq!(tag(span, "db.query.text"), text("SELECT current_query()"));
}
