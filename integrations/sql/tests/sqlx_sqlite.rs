//! sqlx traced on SQLite (in memory): `&Pool` and `&mut Connection` as
//! sqlx executors, the spans of queries, statements, streams, prepared
//! statements and transactions, SQLite's codes on errors, the wait for a
//! pooled connection, a cancelled query and the parent-only default.

mod support;

use std::time::Duration;

use futures_util::TryStreamExt;
use sqlx::sqlite::SqlitePoolOptions;
use sqlx::{Connection as _, Executor as _, Row as _, SqlSafeStr as _, Statement as _};
use support::{exported, tag, text};
use tracekit::{SpanKind, SpanRecord, TagValue, testing};
use tracekit_sql::DbConfig;
use tracekit_sql::sqlx::{Connection, Pool};

/// A pool of one in-memory database (one connection: each connection
/// to `sqlite::memory:` is a database of its own), its stock filled.
async fn pool(config: DbConfig) -> Pool<sqlx::Sqlite> {
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect("sqlite::memory:")
        .await
        .expect("an in-memory database");
    pool.execute(
        "CREATE TABLE stock (item TEXT PRIMARY KEY, count INTEGER NOT NULL CHECK (count >= 0));
         INSERT INTO stock VALUES ('apple', 5), ('kiwi', 0), ('pear', 2);",
    )
    .await
    .expect("the table");
    Pool::with_config(pool, config.namespace("main"))
}

#[tokio::test]
async fn a_query_on_the_pool_is_a_client_span_with_the_conventions_attributes() {
    let pool = pool(DbConfig::sqlite().record_rows(true)).await;
    let (count, spans) = testing::capture_async(async {
        let row = sqlx::query("SELECT count FROM stock WHERE item = ? AND count > 1")
            .bind("apple")
            .fetch_one(&pool)
            .await
            .unwrap();
        row.get::<i64, _>(0)
    })
    .await;
    assert_eq!(count, 5);
    let span = &spans[0];
    assert_eq!(span.name, "SELECT stock");
    assert_eq!(span.kind, SpanKind::Client);
    assert_eq!(tag(span, "db.system.name"), text("sqlite"));
    assert_eq!(tag(span, "db.namespace"), text("main"));
    assert_eq!(tag(span, "db.operation.name"), text("SELECT"));
    assert_eq!(tag(span, "db.collection.name"), text("stock"));
    assert_eq!(tag(span, "db.query.summary"), text("SELECT stock"));
    assert_eq!(
        tag(span, "db.query.text"),
        text("SELECT count FROM stock WHERE item = ? AND count > ?")
    );
    assert_eq!(
        tag(span, "db.response.returned_rows"),
        Some(TagValue::I64(1))
    );
    assert!(
        span.tag("db.client.connection.wait_time")
            .and_then(TagValue::as_f64)
            .is_some_and(|seconds| seconds >= 0.0),
        "a statement on the pool records its wait: {span:?}"
    );
}

#[tokio::test]
async fn rows_read_and_rows_changed_are_counted_when_asked() {
    let pool = pool(DbConfig::sqlite().record_rows(true)).await;
    let (_, spans) = testing::capture_async(async {
        let all = sqlx::query("SELECT item FROM stock").fetch_all(&pool).await;
        assert_eq!(all.unwrap().len(), 3);
        let changed = sqlx::query("UPDATE stock SET count = count + 1 WHERE count > 0")
            .execute(&pool)
            .await
            .unwrap();
        assert_eq!(changed.rows_affected(), 2);
        // A stream read in part: the rows read.
        let mut rows = sqlx::query("SELECT item FROM stock ORDER BY item").fetch(&pool);
        rows.try_next().await.unwrap().expect("a first row");
        drop(rows);
    })
    .await;
    assert_eq!(spans.len(), 3, "{spans:?}");
    assert_eq!(
        tag(&spans[0], "db.response.returned_rows"),
        Some(TagValue::I64(3))
    );
    assert_eq!(spans[1].name, "UPDATE stock");
    assert_eq!(
        tag(&spans[1], "db.response.affected_rows"),
        Some(TagValue::I64(2))
    );
    assert_eq!(
        tag(&spans[2], "db.response.returned_rows"),
        Some(TagValue::I64(1))
    );
    assert_eq!(tag(&spans[2], "cancelled"), None, "it answered");
    let quiet = Pool::new(pool.untraced().clone());
    let (_, spans) = testing::capture_async(async {
        sqlx::query("SELECT item FROM stock")
            .fetch_all(&quiet)
            .await
            .unwrap();
    })
    .await;
    assert_eq!(
        tag(&spans[0], "db.response.returned_rows"),
        None,
        "off by default"
    );
}

#[tokio::test]
async fn errors_carry_sqlites_codes_and_never_the_values() {
    let pool = pool(DbConfig::sqlite()).await;
    let (_, spans) = testing::capture_async(async {
        assert!(sqlx::query("SELEC 1").execute(&pool).await.is_err());
        let taken = sqlx::query("INSERT INTO stock VALUES (?, 1)")
            .bind("apple")
            .execute(&pool)
            .await;
        assert!(taken.is_err());
        let negative = sqlx::query("UPDATE stock SET count = -7 WHERE item = 'apple'")
            .execute(&pool)
            .await;
        assert!(negative.is_err());
    })
    .await;
    assert!(spans.iter().all(SpanRecord::is_error), "{spans:?}");
    // SQLITE_ERROR, SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_CHECK.
    assert_eq!(tag(&spans[0], "db.response.status_code"), text("1"));
    assert_eq!(tag(&spans[0], "error.type"), text("1"));
    let message = spans[0]
        .log_event("error")
        .unwrap()
        .field("message")
        .cloned();
    assert_eq!(message, text("near ?: syntax error"));
    assert_eq!(tag(&spans[1], "db.response.status_code"), text("1555"));
    assert_eq!(tag(&spans[2], "db.response.status_code"), text("275"));
    assert_eq!(
        tag(&spans[2], "db.query.text"),
        text("UPDATE stock SET count = -? WHERE item = ?")
    );
}

#[tokio::test]
async fn transactions_and_savepoints_are_spans_of_their_own() {
    let pool = pool(DbConfig::sqlite()).await;
    let (_, spans) = testing::capture_async(async {
        let mut tx = pool.begin().await.unwrap();
        sqlx::query("UPDATE stock SET count = 4 WHERE item = 'apple'")
            .execute(&mut tx)
            .await
            .unwrap();
        let mut savepoint = tx.begin().await.unwrap();
        sqlx::query("DELETE FROM stock")
            .execute(&mut savepoint)
            .await
            .unwrap();
        savepoint.rollback().await.unwrap();
        tx.commit().await.unwrap();
    })
    .await;
    let names: Vec<&str> = spans.iter().map(|span| span.name.as_ref()).collect();
    assert_eq!(
        names,
        [
            "BEGIN",
            "UPDATE stock",
            "BEGIN",
            "DELETE stock",
            "ROLLBACK",
            "COMMIT"
        ]
    );
    assert!(
        spans[0].tag("db.client.connection.wait_time").is_some(),
        "the pool's BEGIN records the wait: {:?}",
        spans[0]
    );
    let parent = spans[0].parent_id;
    assert!(spans.iter().all(|span| span.parent_id == parent));
    let counts: Vec<(String, i64)> = sqlx::query_as("SELECT item, count FROM stock ORDER BY item")
        .fetch_all(pool.untraced())
        .await
        .unwrap();
    assert_eq!(counts.len(), 3, "the delete was rolled back");
    assert_eq!(counts[0], ("apple".to_owned(), 4), "the update committed");
}

#[tokio::test]
async fn a_connection_of_its_own_and_its_prepared_statements_are_traced() {
    let raw = sqlx::SqliteConnection::connect("sqlite::memory:")
        .await
        .unwrap();
    let mut db = Connection::new(raw);
    let (_, spans) = testing::capture_async(async {
        sqlx::raw_sql("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1), (2)")
            .execute(&mut db)
            .await
            .unwrap();
        let statement = (&mut db)
            .prepare("SELECT a FROM t WHERE a > ?".into_sql_str())
            .await
            .unwrap();
        let rows = statement.query().bind(1).fetch_all(&mut db).await.unwrap();
        assert_eq!(rows.len(), 1);
    })
    .await;
    assert_eq!(spans.len(), 2, "preparing is not a span: {spans:?}");
    assert_eq!(spans[0].name, "CREATE TABLE t INSERT t");
    assert_eq!(tag(&spans[0], "db.system.name"), text("sqlite"));
    assert_eq!(tag(&spans[0], "db.namespace"), None);
    assert_eq!(spans[1].name, "SELECT t");
    assert_eq!(
        tag(&spans[1], "db.query.text"),
        text("SELECT a FROM t WHERE a > ?")
    );
}

#[tokio::test]
async fn a_pooled_connection_records_its_wait_on_its_first_statement() {
    let pool = pool(DbConfig::sqlite()).await;
    let (_, spans) = testing::capture_async(async {
        let held = pool.untraced().acquire().await.unwrap();
        // The one connection is held for 300 ms: the acquire waits.
        let release = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            drop(held);
        });
        let mut db = pool.acquire().await.unwrap();
        sqlx::query("SELECT 1").fetch_one(&mut db).await.unwrap();
        sqlx::query("SELECT 2").fetch_one(&mut db).await.unwrap();
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
}

#[tokio::test]
async fn a_query_given_up_on_ends_cancelled() {
    let pool = pool(DbConfig::sqlite()).await;
    let (_, spans) = testing::capture_async(async {
        // Counts to a billion: seconds of work, given up after 50 ms.
        let slow = sqlx::query(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000)
             SELECT count(*) FROM c",
        )
        .fetch_one(&pool);
        assert!(
            tokio::time::timeout(Duration::from_millis(50), slow)
                .await
                .is_err()
        );
    })
    .await;
    assert_eq!(spans[0].name, "SELECT SELECT c SELECT c");
    assert_eq!(tag(&spans[0], "cancelled"), Some(TagValue::Bool(true)));
    assert!(!spans[0].is_error());
}

#[tokio::test]
async fn with_no_active_span_no_span_is_made_unless_root_spans_are_asked_for() {
    let memory = exported::memory();
    let pool = pool(DbConfig::sqlite()).await;
    // A table of this test's own: other tests' spans are exported too.
    pool.untraced()
        .execute("CREATE TABLE rootless (a)")
        .await
        .unwrap();
    sqlx::query("INSERT INTO rootless VALUES (1)")
        .execute(&pool)
        .await
        .unwrap();
    let rooted = Pool::with_config(pool.untraced().clone(), DbConfig::sqlite().root_spans(true));
    sqlx::query("INSERT INTO rootless VALUES (2)")
        .execute(&rooted)
        .await
        .unwrap();
    tracekit::global().flush().unwrap();
    let spans: Vec<SpanRecord> = memory
        .spans()
        .into_iter()
        .filter(|span| span.name == "INSERT rootless")
        .collect();
    assert_eq!(spans.len(), 1, "{spans:?}");
    assert_eq!(spans[0].parent_id, None);
}
