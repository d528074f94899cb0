//! sqlx traced on a real MariaDB server of each test's own: spans named
//! and tagged as MariaDB's, SQLSTATEs with the values left out of the
//! message, a transaction rolled back, and a connection of its own.

mod support;

use sqlx::mysql::MySqlPoolOptions;
use sqlx::{Connection as _, Executor as _};
use support::mariadb::MariaDb;
use support::{tag, text};
use tracekit::{SpanKind, TagValue, testing};
use tracekit_sql::DbConfig;
use tracekit_sql::sqlx::{Connection, Pool};

/// A traced pool on `server`'s `shop` database, its stock filled.
async fn pool(server: &MariaDb) -> Pool<sqlx::MySql> {
    let setup = sqlx::MySqlConnection::connect(&server.url()).await;
    let mut setup = setup.expect("connected");
    setup.execute("CREATE DATABASE shop").await.unwrap();
    let url = format!("mysql://root@127.0.0.1:{}/shop", server.port);
    let pool = MySqlPoolOptions::new()
        .max_connections(2)
        .connect(&url)
        .await
        .expect("connected");
    pool.execute(
        "CREATE TABLE stock (item VARCHAR(20) PRIMARY KEY, count INTEGER NOT NULL);
         INSERT INTO stock VALUES ('apple', 5), ('kiwi', 0);",
    )
    .await
    .expect("the table");
    let config = DbConfig::mariadb()
        .namespace("shop")
        .server("127.0.0.1", server.port)
        .record_rows(true);
    Pool::with_config(pool, config)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_are_mariadb_client_spans_and_errors_keep_their_values_out() {
    let server = MariaDb::start();
    let pool = pool(&server).await;
    let (_, spans) = testing::capture_async(async {
        let apples: i32 =
            sqlx::query_scalar("SELECT count FROM stock WHERE item = ? AND count > 1")
                .bind("apple")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(apples, 5);
        let taken = sqlx::query("INSERT INTO stock VALUES (?, 1)")
            .bind("apple")
            .execute(&pool)
            .await;
        assert!(taken.is_err());
        assert!(sqlx::query("SELEC 1").execute(&pool).await.is_err());
    })
    .await;
    let span = &spans[0];
    assert_eq!(span.name, "SELECT stock");
    assert_eq!(span.kind, SpanKind::Client);
    assert_eq!(tag(span, "db.system.name"), text("mariadb"));
    assert_eq!(tag(span, "db.namespace"), text("shop"));
    assert_eq!(
        tag(span, "server.port"),
        Some(TagValue::I64(i64::from(server.port)))
    );
    assert_eq!(
        tag(span, "db.query.text"),
        text("SELECT count FROM stock WHERE item = ? AND count > ?")
    );
    assert_eq!(
        tag(span, "db.response.returned_rows"),
        Some(TagValue::I64(1))
    );
    // A duplicate key: SQLSTATE 23000; MariaDB's message quotes the
    // value (`Duplicate entry 'apple' for key 'PRIMARY'`).
    assert!(spans[1].is_error());
    assert_eq!(tag(&spans[1], "db.response.status_code"), text("23000"));
    let message = spans[1]
        .log_event("error")
        .unwrap()
        .field("message")
        .cloned();
    assert_eq!(message, text("Duplicate entry ? for key ?"));
    assert_eq!(tag(&spans[2], "db.response.status_code"), text("42000"));
    assert!(!format!("{spans:?}").contains("'apple'"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_rolled_back_and_a_connection_of_its_own() {
    let server = MariaDb::start();
    let pool = pool(&server).await;
    let (_, spans) = testing::capture_async(async {
        let mut tx = pool.begin().await.unwrap();
        let deleted = sqlx::query("DELETE FROM stock")
            .execute(&mut tx)
            .await
            .unwrap();
        assert_eq!(deleted.rows_affected(), 2);
        tx.rollback().await.unwrap();
    })
    .await;
    let names: Vec<&str> = spans.iter().map(|span| span.name.as_ref()).collect();
    assert_eq!(names, ["BEGIN", "DELETE stock", "ROLLBACK"]);
    assert_eq!(
        tag(&spans[1], "db.response.affected_rows"),
        Some(TagValue::I64(2))
    );

    let url = format!("mysql://root@127.0.0.1:{}/shop", server.port);
    let raw = sqlx::MySqlConnection::connect(&url).await.unwrap();
    let mut db = Connection::new(raw);
    let (left, spans) = testing::capture_async(async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM stock")
            .fetch_one(&mut db)
            .await
            .unwrap()
    })
    .await;
    assert_eq!(left, 2, "the delete was rolled back");
    assert_eq!(spans[0].name, "SELECT stock");
    assert_eq!(
        tag(&spans[0], "db.system.name"),
        text("mysql"),
        "the default"
    );
}
