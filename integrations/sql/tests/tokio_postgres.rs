//! The traced tokio-postgres client against a real PostgreSQL server of
//! each test's own: spans and their attributes, SQLSTATEs, transactions,
//! prepared statements, rows, a cancelled query, and the traceparent the
//! server receives.

mod support;

use std::time::Duration;

use support::postgres::Postgres;
use support::{tag, text};
use tracekit::{SpanKind, SpanRecord, TagValue, testing};
use tracekit_sql::DbConfig;
use tracekit_sql::tokio_postgres::Client;

/// A traced client of `server`, its stock table filled.
async fn client(server: &Postgres, config: DbConfig) -> Client {
    let client = server.stocked_client().await;
    Client::with_config(
        client,
        config
            .namespace("postgres")
            .server("127.0.0.1", server.port),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_are_client_spans_with_the_conventions_attributes() {
    let server = Postgres::start();
    let db = client(&server, DbConfig::postgres().record_rows(true)).await;
    let (count, spans) = testing::capture_async(async {
        let row = db
            .query_one(
                "SELECT count FROM stock WHERE item = $1 AND count > 2",
                &[&"apple"],
            )
            .await
            .unwrap();
        row.get::<_, i32>(0)
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
    assert_eq!(tag(span, "db.collection.name"), text("stock"));
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
    let db = client(&server, DbConfig::postgres()).await;
    let (_, spans) = testing::capture_async(async {
        assert!(db.execute("SELEC 1", &[]).await.is_err());
        // The error's detail says `Key (item)=(apple) already exists.`
        assert!(
            db.execute("INSERT INTO stock VALUES ($1, 1)", &[&"apple"])
                .await
                .is_err()
        );
        // The error's message quotes the value.
        let quoted = db
            .execute("INSERT INTO stock VALUES ('x', 'secret-apple-value')", &[])
            .await;
        assert!(quoted.is_err());
    })
    .await;
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
    assert!(spans.iter().all(SpanRecord::is_error));
    let recorded = format!("{spans:?}");
    assert!(!recorded.contains("secret-apple-value"), "{recorded}");
    assert!(
        !recorded.contains("(apple)"),
        "the error's detail quotes the key: {recorded}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_and_prepared_statements_are_traced() {
    let server = Postgres::start();
    let mut db = client(&server, DbConfig::postgres()).await;
    let (_, spans) = testing::capture_async(async {
        let statement = db
            .prepare("UPDATE stock SET count = count - $1 WHERE item = $2")
            .await
            .unwrap();
        let tx = db.transaction().await.unwrap();
        tx.execute(
            &statement_of(&tx, "UPDATE stock SET count = 0 WHERE item = $1").await,
            &[&"kiwi"],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let tx = db.transaction().await.unwrap();
        tx.execute("DELETE FROM stock", &[]).await.unwrap();
        tx.rollback().await.unwrap();
        db.execute(&statement, &[&1i32, &"apple"]).await.unwrap();
    })
    .await;
    let names: Vec<&str> = spans.iter().map(|s| &*s.name).collect();
    assert_eq!(
        names,
        [
            "BEGIN",
            "UPDATE stock",
            "COMMIT",
            "BEGIN",
            "DELETE stock",
            "ROLLBACK",
            "UPDATE stock"
        ]
    );
    assert_eq!(
        tag(&spans[6], "db.query.text"),
        text("UPDATE stock SET count = count - $1 WHERE item = $2")
    );
    let left = db
        .untraced()
        .query_one("SELECT count(*) FROM stock", &[])
        .await
        .unwrap();
    assert_eq!(left.get::<_, i64>(0), 2, "the delete was rolled back");
}

/// A statement prepared in a transaction.
async fn statement_of<C: tracekit_sql::tokio_postgres::Backend>(
    client: &Client<C>,
    sql: &str,
) -> tracekit_sql::tokio_postgres::Statement {
    client.prepare(sql).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_given_up_on_ends_cancelled() {
    let server = Postgres::start();
    let db = client(&server, DbConfig::postgres()).await;
    let (_, spans) = testing::capture_async(async {
        let slow = db.execute("SELECT pg_sleep(5)", &[]);
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
    let db = client(&server, DbConfig::postgres().sqlcommenter(true)).await;
    let (seen, spans) = testing::capture_async(async {
        let row = db.query_one("SELECT current_query()", &[]).await.unwrap();
        row.get::<_, String>(0)
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameters_are_recorded_only_when_asked() {
    let server = Postgres::start();
    let quiet = client(&server, DbConfig::postgres()).await;
    let (_, spans) = testing::capture_async(async {
        quiet
            .query_one("SELECT count FROM stock WHERE item = $1", &[&"apple"])
            .await
            .unwrap();
    })
    .await;
    assert_eq!(tag(&spans[0], "db.query.parameter.0"), None);
    let told = Client::with_config(
        quiet.into_inner(),
        DbConfig::postgres().record_parameters(true),
    );
    let (_, spans) = testing::capture_async(async {
        told.query_one(
            "SELECT count FROM stock WHERE item = $1 AND count > $2",
            &[&"apple", &1i32],
        )
        .await
        .unwrap();
    })
    .await;
    assert_eq!(tag(&spans[0], "db.query.parameter.0"), text("\"apple\""));
    assert_eq!(tag(&spans[0], "db.query.parameter.1"), text("1"));
}
