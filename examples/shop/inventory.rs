//! The inventory service: stock levels in a SQLite database, one of them
//! slow to count and one failing, and an admin router nested under
//! `/admin`.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;
use tokio::sync::OnceCell;
use tracekit::http::ServerLayer;
use tracekit::sql::DbConfig;
use tracekit::sql::deadpool_postgres::Pool;
use tracekit::sql::rusqlite::Connection;
use tracekit::{Context, traced};
use tracekit_redis::Traced;

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

/// The stock, in a real database reached through a traced client: SQLite
/// in memory by default; PostgreSQL when `SHOP_POSTGRES_URL` is set; and
/// a Redis cache in front of it when `SHOP_REDIS_URL` is set. Each
/// statement and command run under a request is a span.
#[derive(Clone)]
struct Stock {
    store: Store,
    /// The Redis cache, connected on first use.
    cache: Option<Arc<OnceCell<Traced<MultiplexedConnection>>>>,
}

#[derive(Clone)]
enum Store {
    Sqlite(Arc<Mutex<Connection>>),
    /// The pool, and its tables made on first use.
    Postgres(Pool, Arc<OnceCell<()>>),
}

/// The schema and the data, the same in both databases. Durians come in
/// crates, counted by hand: the slow path.
const SCHEMA: &str = "CREATE TABLE stock (item TEXT PRIMARY KEY, count INTEGER NOT NULL);
     INSERT INTO stock VALUES ('apple', 5), ('kiwi', 0), ('durian', 2);
     CREATE TABLE crates (item TEXT NOT NULL, weight INTEGER NOT NULL);";
const CRATES: &str =
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500)
     INSERT INTO crates SELECT 'durian', i % 7 FROM n";
// `$1` in both databases: SQLite reads it as a parameter too.
const COUNT: &str = "SELECT count FROM stock WHERE item = $1";
const COUNT_CRATES: &str =
    "SELECT count(*) / 1125000 FROM crates a JOIN crates b ON a.item = b.item WHERE a.item = $1";

impl Stock {
    /// The store the environment names. SQLite is created and filled
    /// here, before any request: no span (a statement with no active span
    /// makes none).
    fn open() -> Stock {
        let store = match std::env::var("SHOP_POSTGRES_URL") {
            Ok(url) => {
                let config: tokio_postgres::Config = url.parse().expect("SHOP_POSTGRES_URL");
                let manager = deadpool_postgres::Manager::new(config, tokio_postgres::NoTls);
                let pool = deadpool_postgres::Pool::builder(manager)
                    .build()
                    .expect("a pool");
                let traced = Pool::new(pool, DbConfig::postgres().namespace("postgres"));
                Store::Postgres(traced, Arc::new(OnceCell::new()))
            }
            Err(_) => {
                let db = Connection::open_in_memory().expect("an in-memory database");
                db.execute_batch(SCHEMA).expect("the stock");
                db.execute(CRATES, []).expect("the crates");
                Store::Sqlite(Arc::new(Mutex::new(db)))
            }
        };
        let cache = std::env::var("SHOP_REDIS_URL")
            .is_ok()
            .then(|| Arc::new(OnceCell::new()));
        Stock { store, cache }
    }

    /// How many `item`s there are: from the cache, else from the store
    /// (then cached for a minute).
    async fn count(&self, item: &str) -> Result<i64, StockError> {
        let failed = |error: &dyn std::fmt::Display| StockError::Database(error.to_string());
        let mut cache = match &self.cache {
            Some(cell) => Some(
                cell.get_or_try_init(|| untraced(connect_cache()))
                    .await
                    .map_err(|e| failed(&e))?
                    .clone(),
            ),
            None => None,
        };
        let key = format!("stock:{item}");
        if let Some(cache) = &mut cache
            && let Some(count) = cache
                .get::<_, Option<i64>>(&key)
                .await
                .map_err(|e| failed(&e))?
        {
            return Ok(count);
        }
        let count = self.count_in_store(item).await?;
        if let Some(cache) = &mut cache {
            let _: () = cache
                .set_ex(&key, count, 60)
                .await
                .map_err(|e| failed(&e))?;
        }
        Ok(count)
    }

    async fn count_in_store(&self, item: &str) -> Result<i64, StockError> {
        let failed = |error: &dyn std::fmt::Display| StockError::Database(error.to_string());
        let query = if item == "durian" {
            COUNT_CRATES
        } else {
            COUNT
        };
        match &self.store {
            Store::Sqlite(db) => {
                // The query blocks: it runs on a blocking thread, in this
                // span's context, so its span is this one's child.
                let context = Context::current();
                let (db, item) = (db.clone(), item.to_owned());
                tokio::task::spawn_blocking(move || {
                    context.run(|| {
                        let db = db.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                        db.query_row(query, [&item], |row| row.get(0))
                    })
                })
                .await
                .map_err(|e| failed(&e))?
                .map_err(|e| failed(&e))
            }
            Store::Postgres(pool, tables) => {
                let setup = pool.clone();
                tables
                    .get_or_try_init(|| untraced(make_tables(setup)))
                    .await
                    .map_err(|e| failed(&e))?;
                let db = pool.get().await.map_err(|e| failed(&e))?;
                let row = db
                    .query_one(query, &[&item])
                    .await
                    .map_err(|e| failed(&e))?;
                // count(*) is a bigint; the stock's count an integer.
                row.try_get::<_, i64>(0)
                    .or_else(|_| row.try_get::<_, i32>(0).map(i64::from))
                    .map_err(|e| failed(&e))
            }
        }
    }
}

/// Runs `work` on a task of its own, outside any span: setting up is not
/// a request's work.
async fn untraced<T: Send + 'static>(
    work: impl std::future::Future<Output = Result<T, String>> + Send + 'static,
) -> Result<T, String> {
    tokio::spawn(work).await.map_err(|e| e.to_string())?
}

async fn connect_cache() -> Result<Traced<MultiplexedConnection>, String> {
    let url = std::env::var("SHOP_REDIS_URL").map_err(|e| e.to_string())?;
    let client = redis::Client::open(url).map_err(|e| e.to_string())?;
    let connection = client
        .get_multiplexed_async_connection()
        .await
        .map_err(|e| e.to_string())?;
    let mut traced = Traced::new(connection);
    // A fresh cache for each run of the shop.
    let _: () = redis::cmd("FLUSHDB")
        .query_async(&mut traced)
        .await
        .map_err(|e| e.to_string())?;
    Ok(traced)
}

async fn make_tables(pool: Pool) -> Result<(), String> {
    let db = pool.get().await.map_err(|e| e.to_string())?;
    db.batch_execute("DROP TABLE IF EXISTS stock; DROP TABLE IF EXISTS crates;")
        .await
        .map_err(|e| e.to_string())?;
    db.batch_execute(SCHEMA).await.map_err(|e| e.to_string())?;
    db.execute(CRATES, &[]).await.map_err(|e| e.to_string())?;
    Ok(())
}

#[traced(skip(stock))]
async fn check_stock(stock: &Stock, item: String) -> Result<i64, StockError> {
    let count = stock.count(&item).await?;
    if count == 0 {
        tracing::warn!(%item, "none left");
        return Err(StockError::OutOfStock(item));
    }
    tracekit::with_active_span(|span| {
        if let Some(customer) = span.baggage_item("customer") {
            span.set_tag("customer", customer);
        }
    });
    // A log line with the trace's ids, and a log of this span.
    tracing::info!(%item, count, "stock counted");
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
        // tower-http's span of each request, made with `tracing`: through
        // the bridge, the server span's child and the handler's parent.
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(ServerLayer::new())
}
