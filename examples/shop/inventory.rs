//! The inventory service: stock levels in a SQLite database, one of them
//! slow to count and one failing, and an admin router nested under
//! `/admin`.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use tracekit::http::ServerLayer;
use tracekit::sql::rusqlite::Connection;
use tracekit::{Context, traced};

#[derive(Debug)]
pub enum StockError {
    OutOfStock(String),
    Database(String),
}

impl std::fmt::Display for StockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StockError::OutOfStock(item) => write!(f, "no {item} left in any warehouse"),
            StockError::Database(why) => write!(f, "the stock database failed: {why}"),
        }
    }
}

/// The stock, in a real SQLite database (in memory), reached through the
/// traced client: each statement run under a request is a span.
#[derive(Clone)]
struct Stock {
    db: Arc<Mutex<Connection>>,
}

impl Stock {
    /// Created and filled at start, before any request: no span (a
    /// statement with no active span makes none).
    fn open() -> Stock {
        let db = Connection::open_in_memory().expect("an in-memory database");
        db.execute_batch(
            "CREATE TABLE stock (item TEXT PRIMARY KEY, count INTEGER NOT NULL);
             INSERT INTO stock VALUES ('apple', 5), ('kiwi', 0), ('durian', 2);
             CREATE TABLE crates (item TEXT NOT NULL, weight INTEGER NOT NULL);",
        )
        .expect("the stock");
        // Durians come in crates, counted by hand: the slow path.
        db.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500)
             INSERT INTO crates SELECT 'durian', i % 7 FROM n",
            [],
        )
        .expect("the crates");
        Stock {
            db: Arc::new(Mutex::new(db)),
        }
    }

    /// How many `item`s there are: one query, or for durians a count of
    /// every pair of crates (a real slow query).
    fn count(&self, item: &str) -> Result<i64, StockError> {
        let db = self
            .db
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let counted = if item == "durian" {
            db.query_row(
                "SELECT count(*) / 1125000 FROM crates a JOIN crates b ON a.item = b.item WHERE a.item = ?1",
                [item],
                |row| row.get(0),
            )
        } else {
            db.query_row("SELECT count FROM stock WHERE item = ?1", [item], |row| {
                row.get(0)
            })
        };
        counted.map_err(|error| StockError::Database(error.to_string()))
    }
}

#[traced(skip(stock))]
async fn check_stock(stock: &Stock, item: String) -> Result<i64, StockError> {
    // The query blocks: it runs on a blocking thread, in this span's
    // context, so its span is this one's child.
    let context = Context::current();
    let (stock, name) = (stock.clone(), item.clone());
    let count = tokio::task::spawn_blocking(move || context.run(|| stock.count(&name)))
        .await
        .map_err(|error| StockError::Database(error.to_string()))??;
    if count == 0 {
        return Err(StockError::OutOfStock(item));
    }
    tracekit::with_active_span(|span| {
        if let Some(customer) = span.baggage_item("customer") {
            span.set_tag("customer", customer);
        }
    });
    Ok(count)
}

async fn stock(
    State(stock): State<Stock>,
    Path(item): Path<String>,
) -> Result<String, (StatusCode, String)> {
    check_stock(&stock, item)
        .await
        .map(|count| count.to_string())
        .map_err(|error| (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()))
}

#[traced]
fn audit_entry(item: &str) -> String {
    format!("{item}: counted yesterday")
}

pub fn app() -> Router {
    let admin = Router::new().route(
        "/audit/{item}",
        get(|Path(item): Path<String>| async move { audit_entry(&item) }),
    );
    Router::new()
        .route("/stock/{item}", get(stock))
        .with_state(Stock::open())
        .nest("/admin", admin)
        .layer(ServerLayer::new())
}
