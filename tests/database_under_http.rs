//! One trace across HTTP and a database: a request through the reqwest
//! middleware reaches a real axum server behind `ServerLayer` on
//! loopback, whose handler queries SQLite through the traced client; the
//! query's span is a child of the handler's server span, in the caller's
//! trace.

#[path = "support/exported.rs"]
mod exported;
#[path = "support/loopback.rs"]
mod loopback;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use tracekit::SpanKind;
use tracekit::http::ServerLayer;
use tracekit::sql::rusqlite::Connection;

type Db = Arc<Mutex<Connection>>;

async fn stock(State(db): State<Db>, Path(item): Path<String>) -> String {
    let db = db.lock().unwrap();
    let count: i64 = db
        .query_row("SELECT count FROM stock WHERE item = ?1", [item], |row| {
            row.get(0)
        })
        .unwrap_or(0);
    count.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_in_a_handler_is_a_child_of_its_request_span_in_the_callers_trace() {
    exported::memory();
    let db = Connection::open_in_memory().unwrap();
    db.execute_batch("CREATE TABLE stock (item TEXT PRIMARY KEY, count INTEGER); INSERT INTO stock VALUES ('apple', 5);")
        .unwrap();
    let app = Router::new()
        .route("/stock/{item}", get(stock))
        .with_state(Arc::new(Mutex::new(db)))
        .layer(ServerLayer::new());
    let (answer, trace) = loopback::get_from_caller(app, "/stock/apple").await;
    assert_eq!(answer, "5");

    // The caller, its client span, the server span and the query.
    let spans = exported::spans_of(trace, 4).await;
    assert_eq!(spans.len(), 4, "{spans:#?}");
    let server = spans
        .iter()
        .find(|s| s.kind == SpanKind::Server)
        .expect("a server span");
    let query = spans
        .iter()
        .find(|s| s.name == "SELECT stock")
        .expect("the query's span");
    assert_eq!(server.name, "GET /stock/{item}");
    assert_eq!(query.kind, SpanKind::Client);
    assert_eq!(
        query.parent_id,
        Some(server.span_id),
        "the query is the handler's child"
    );
}
