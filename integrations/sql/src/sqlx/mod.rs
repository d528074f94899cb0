//! Traced sqlx: [`Pool`] wraps a `sqlx::Pool` and [`Connection`] one of
//! its connections, a transaction or a connection of its own; `&` of the
//! pool and `&mut` of the connection are sqlx `Executor`s, so the code
//! that runs queries stays as it is and wrapping is the one line that
//! changes. Drivers: PostgreSQL (feature `sqlx-postgres`), MySQL and
//! MariaDB (`sqlx-mysql`), SQLite (`sqlx-sqlite`).
//!
//! ```no_run
//! use tracekit_sql::DbConfig;
//! use tracekit_sql::sqlx::Pool;
//!
//! # async fn run() -> Result<(), sqlx::Error> {
//! let pool = sqlx::PgPool::connect("postgres://shop@127.0.0.1/shop").await?;
//! let pool = Pool::with_config(pool, DbConfig::postgres().namespace("shop")); // the one new line
//! let rows = sqlx::query("SELECT count FROM stock WHERE item = $1")
//!     .bind("apple")
//!     .fetch_all(&pool)
//!     .await?;
//! # drop(rows);
//! # Ok(())
//! # }
//! ```
//!
//! A statement's span starts when the query is handed to the executor,
//! in the caller's context, and ends with its last row or its error; a
//! query whose future or stream is dropped before any answer came (a
//! timeout) ends `cancelled`. A statement run on the pool records how
//! long it waited for a connection (`db.client.connection.wait_time`, in
//! seconds); so does the first statement of [`Pool::acquire`]'s
//! connection, and the `BEGIN` of [`Pool::begin`]'s transaction. A
//! database error records its code (SQLSTATE; SQLite's extended result
//! code) as `db.response.status_code`. Bound parameters are never
//! recorded: sqlx holds them encoded for the wire.
//!
//! sqlx's `Acquire` is not implemented: the connection it gives must be
//! the driver's own, whose statements no wrapper sees. [`Pool::acquire`]
//! and [`Pool::begin`] give traced ones instead.

mod connection;
mod database;
mod executor;
mod stream;

use std::sync::Arc;
use std::time::Instant;

pub use connection::{Backend, Connection};
pub use database::TracedDatabase;

use crate::config::DbConfig;
use executor::traced;

/// A sqlx pool whose statements run in spans: `&Pool` is a sqlx
/// `Executor`, and its connections and transactions are traced.
pub struct Pool<DB: sqlx::Database> {
    inner: sqlx::Pool<DB>,
    config: Arc<DbConfig>,
}

impl<DB: TracedDatabase> Pool<DB> {
    /// Traces `inner` with its database's defaults (name the database
    /// and server with [`with_config`](Self::with_config) for
    /// `db.namespace` and `server.*`).
    pub fn new(inner: sqlx::Pool<DB>) -> Pool<DB> {
        Pool::with_config(inner, DB::config())
    }

    /// Traces `inner` as `config` says.
    pub fn with_config(inner: sqlx::Pool<DB>, config: DbConfig) -> Pool<DB> {
        Pool {
            inner,
            config: Arc::new(config),
        }
    }

    /// The pool itself: what runs on it is not traced.
    pub fn untraced(&self) -> &sqlx::Pool<DB> {
        &self.inner
    }

    /// A connection from the pool, traced; how long this waited is
    /// recorded on the span of its first statement.
    pub async fn acquire(&self) -> Result<Connection<sqlx::pool::PoolConnection<DB>>, sqlx::Error> {
        let started = Instant::now();
        let connection = self.inner.acquire().await?;
        Ok(Connection::shared(
            connection,
            self.config.clone(),
            Some(started.elapsed()),
        ))
    }

    /// A connection from the pool in a transaction, traced: its `BEGIN`
    /// a span, with how long getting the connection waited.
    pub async fn begin(&self) -> Result<Connection<sqlx::Transaction<'static, DB>>, sqlx::Error> {
        let started = Instant::now();
        let connection = self.inner.acquire().await?;
        let waited = Some(started.elapsed());
        // What `sqlx::Pool::begin` does after taking its connection: the
        // wait and the `BEGIN` are then told apart.
        let begin = sqlx::Transaction::begin(connection, None);
        let transaction = traced(&self.config, "BEGIN", waited, begin).await?;
        Ok(Connection::shared(transaction, self.config.clone(), None))
    }
}

impl<DB: sqlx::Database> Clone for Pool<DB> {
    fn clone(&self) -> Self {
        Pool {
            inner: self.inner.clone(),
            config: self.config.clone(),
        }
    }
}

impl<DB: sqlx::Database> std::fmt::Debug for Pool<DB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("system", &self.config.system)
            .field("inner", &self.inner)
            .finish()
    }
}
