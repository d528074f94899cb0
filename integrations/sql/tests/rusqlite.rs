//! The traced rusqlite connection against a real SQLite database (in
//! memory and on disk): spans, their names and attributes, errors with
//! SQLite's codes, transactions, rows, the parent-only default and the
//! sqlcommenter comment SQLite receives.

mod support;

use std::sync::Mutex;

use support::{exported, tag, text};
use tracekit::{SpanKind, SpanRecord, TagValue, testing};
use tracekit_sql::DbConfig;
use tracekit_sql::rusqlite::Connection;

fn stock() -> Connection {
    let db = Connection::open_in_memory().expect("an in-memory database");
    db.untraced()
        .execute_batch(
            "CREATE TABLE stock (item TEXT PRIMARY KEY, count INTEGER NOT NULL CHECK (count >= 0));
             INSERT INTO stock VALUES ('apple', 5), ('kiwi', 0), ('pear', 2);",
        )
        .expect("the table");
    db
}

#[test]
fn a_query_is_a_client_span_named_by_what_it_does_with_the_conventions_attributes() {
    let db = stock();
    let (count, spans) = testing::capture(|| {
        db.query_row(
            "SELECT count FROM stock WHERE item = ?1 AND count > 1 -- the shop",
            ["apple"],
            |row| row.get::<_, i64>(0),
        )
    });
    assert_eq!(count, Ok(5));
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
        text("SELECT count FROM stock WHERE item = ?1 AND count > ?")
    );
    assert_eq!(tag(span, "db.response.returned_rows"), None, "opt-in");
    assert!(!span.is_error());
}

#[test]
fn a_file_database_is_named_by_its_file() {
    let dir = std::env::temp_dir().join(format!("tracekit-sql-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("inventory.db");
    let db = Connection::open(&path).unwrap();
    let (_, spans) = testing::capture(|| db.execute_batch("CREATE TABLE IF NOT EXISTS t (a)"));
    assert_eq!(tag(&spans[0], "db.namespace"), text("inventory.db"));
    assert_eq!(spans[0].name, "CREATE TABLE t");
    drop(db);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn errors_carry_sqlites_code_and_message() {
    let db = stock();
    let (results, spans) = testing::capture(|| {
        (
            db.execute("SELEC count FROM stock WHERE item = 'secret-item'", [])
                .map(|_| ()),
            db.execute("INSERT INTO stock VALUES ('apple', 1)", [])
                .map(|_| ()),
            db.execute("UPDATE stock SET count = -1 WHERE item = 'kiwi'", [])
                .map(|_| ()),
        )
    });
    assert!(results.0.is_err() && results.1.is_err() && results.2.is_err());
    let [syntax, duplicate, check] = &spans[..] else {
        panic!("{spans:?}")
    };
    for span in [syntax, duplicate, check] {
        assert!(span.is_error(), "{span:?}");
        assert!(span.log_event("error").is_some());
    }
    // SQLITE_ERROR (1), SQLITE_CONSTRAINT_PRIMARYKEY (1555), SQLITE_CONSTRAINT_CHECK (275).
    assert_eq!(tag(syntax, "db.response.status_code"), text("1"));
    assert_eq!(tag(duplicate, "db.response.status_code"), text("1555"));
    assert_eq!(tag(duplicate, "error.type"), text("ConstraintViolation"));
    assert_eq!(tag(check, "db.response.status_code"), text("275"));
    let message = syntax.log_event("error").unwrap().field("message").cloned();
    let message = message
        .as_ref()
        .and_then(TagValue::as_str)
        .unwrap_or_default();
    assert!(message.contains("syntax error"), "{message}");
    // SQLite's message with the statement as written would carry values.
    assert!(!message.contains("secret-item"), "{message}");
    // The failing statement's values are not in its text.
    assert_eq!(
        tag(duplicate, "db.query.text"),
        text("INSERT INTO stock VALUES (?, ?)")
    );
}

#[test]
fn rows_are_recorded_when_asked_and_a_statements_rows_as_they_are_read() {
    let db = Connection::with_config(
        stock().into_inner(),
        DbConfig::sqlite().namespace("shop").record_rows(true),
    );
    let (names, spans) = testing::capture(|| {
        let changed = db.execute("UPDATE stock SET count = count + 1 WHERE count < 3", []);
        assert_eq!(changed, Ok(2));
        let mut statement = db.prepare("SELECT item FROM stock ORDER BY item").unwrap();
        let names: Vec<String> = statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut first_two = statement
            .query_map([], |row| row.get::<_, String>(0))
            .unwrap();
        first_two.next();
        first_two.next();
        drop(first_two);
        names
    });
    assert_eq!(names, ["apple", "kiwi", "pear"]);
    assert_eq!(spans.len(), 3);
    assert_eq!(spans[0].name, "UPDATE stock");
    assert_eq!(
        tag(&spans[0], "db.response.affected_rows"),
        Some(TagValue::I64(2))
    );
    assert_eq!(
        tag(&spans[1], "db.response.returned_rows"),
        Some(TagValue::I64(3))
    );
    assert_eq!(
        tag(&spans[2], "db.response.returned_rows"),
        Some(TagValue::I64(2))
    );
    assert_eq!(tag(&spans[0], "db.namespace"), text("shop"));
}

/// A statement's tags are made once per connection's tags and kept (see
/// `template.rs`): the same statement, at the same address, run in turn
/// on connections with other tags on one thread, carries each
/// connection's own.
#[test]
fn one_statement_on_connections_with_other_tags_carries_each_connections_tags() {
    const COUNT: &str = "SELECT count FROM stock WHERE item = ?1";
    let shop = Connection::with_config(stock().into_inner(), DbConfig::sqlite().namespace("shop"));
    let depot = Connection::with_config(
        stock().into_inner(),
        DbConfig::sqlite().namespace("depot").query_text(false),
    );
    let (_, spans) = testing::capture(|| {
        for _ in 0..3 {
            for db in [&shop, &depot] {
                let count: i64 = db.query_row(COUNT, ["apple"], |row| row.get(0)).unwrap();
                assert_eq!(count, 5);
            }
        }
    });
    assert_eq!(spans.len(), 6);
    for pair in spans.chunks(2) {
        assert_eq!(tag(&pair[0], "db.namespace"), text("shop"));
        assert_eq!(tag(&pair[0], "db.query.text"), text(COUNT));
        assert_eq!(tag(&pair[1], "db.namespace"), text("depot"));
        assert_eq!(tag(&pair[1], "db.query.text"), None);
        assert_eq!(tag(&pair[1], "db.query.summary"), text("SELECT stock"));
        assert_eq!(pair[0].tags.len(), pair[1].tags.len() + 1, "the text");
    }
}

#[test]
fn a_transaction_is_its_begin_its_statements_and_its_commit_or_rollback() {
    let mut db = stock();
    let (_, spans) = testing::capture(|| {
        let tx = db.transaction().unwrap();
        tx.execute(
            "UPDATE stock SET count = count - 1 WHERE item = ?1",
            ["apple"],
        )
        .unwrap();
        tx.commit().unwrap();
        let tx = db.transaction().unwrap();
        tx.execute("DELETE FROM stock", []).unwrap();
        tx.rollback().unwrap();
    });
    let names: Vec<&str> = spans.iter().map(|s| &*s.name).collect();
    assert_eq!(
        names,
        [
            "BEGIN",
            "UPDATE stock",
            "COMMIT",
            "BEGIN",
            "DELETE stock",
            "ROLLBACK"
        ]
    );
    let left: i64 = db
        .untraced()
        .query_row("SELECT count(*) FROM stock", [], |row| row.get(0))
        .unwrap();
    assert_eq!(left, 3, "the delete was rolled back");
}

#[test]
fn with_no_active_span_no_span_is_made_unless_root_spans_are_asked_for() {
    let memory = exported::memory();
    // A table of this test's own: other tests' captured spans are
    // exported too, and are told apart by their names.
    let db = stock();
    db.untraced()
        .execute_batch("CREATE TABLE rootless (a)")
        .unwrap();
    db.execute("INSERT INTO rootless VALUES (1)", []).unwrap();
    let rooted = Connection::with_config(db.into_inner(), DbConfig::sqlite().root_spans(true));
    rooted
        .execute("INSERT INTO rootless VALUES (2)", [])
        .unwrap();
    tracekit::global().flush().unwrap();
    let spans: Vec<SpanRecord> = memory
        .spans()
        .into_iter()
        .filter(|s| s.name == "INSERT rootless")
        .collect();
    assert_eq!(spans.len(), 1, "{spans:?}");
    assert_eq!(spans[0].parent_id, None);
}

#[test]
fn sqlcommenter_sends_the_spans_traceparent_to_sqlite() {
    static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut raw = rusqlite::Connection::open_in_memory().unwrap();
    raw.trace_v2(
        rusqlite::trace::TraceEventCodes::SQLITE_TRACE_STMT,
        Some(|event: rusqlite::trace::TraceEvent<'_>| {
            if let rusqlite::trace::TraceEvent::Stmt(_, sql) = event {
                SEEN.lock().unwrap().push(sql.to_owned());
            }
        }),
    )
    .unwrap();
    let db = Connection::with_config(raw, DbConfig::sqlite().sqlcommenter(true));
    let (_, spans) = testing::capture(|| db.execute_batch("CREATE TABLE t (a)"));
    let span = &spans[0];
    let expected = format!(
        "CREATE TABLE t (a) /*traceparent='00-{}-{}-01'*/",
        span.trace_id, span.span_id
    );
    assert!(
        SEEN.lock().unwrap().contains(&expected),
        "{:?}",
        SEEN.lock().unwrap()
    );
    assert_eq!(tag(span, "db.query.text"), text("CREATE TABLE t (a)"));
}
