//! A traced sqlx connection: one of the pool's, a transaction, or a
//! connection of its own.

use std::sync::Arc;
use std::time::Duration;

use sqlx::Database;

use super::database::TracedDatabase;
use super::executor::traced;
use crate::config::DbConfig;

/// A sqlx connection (`B` is a pool's connection, a transaction, or with
/// its driver's feature a `PgConnection`, `MySqlConnection` or
/// `SqliteConnection`) whose statements run in spans: `&mut` of it is a
/// sqlx `Executor`.
///
/// ```no_run
/// use tracekit_sql::sqlx::Connection;
/// use sqlx::Connection as _;
///
/// # async fn run() -> Result<(), sqlx::Error> {
/// let mut db = Connection::new(sqlx::SqliteConnection::connect("sqlite::memory:").await?);
/// let mut tx = db.begin().await?;
/// sqlx::query("INSERT INTO stock (item, count) VALUES (?, ?)")
///     .bind("apple")
///     .bind(3)
///     .execute(&mut tx)
///     .await?;
/// tx.commit().await?;
/// # Ok(())
/// # }
/// ```
pub struct Connection<B> {
    pub(super) inner: B,
    pub(super) config: Arc<DbConfig>,
    /// How long getting it from its pool waited: a tag on the span of its
    /// first statement.
    pub(super) waited: Option<Duration>,
}

/// What a traced [`Connection`] runs statements on.
pub trait Backend: Send {
    /// Its database.
    type Database: TracedDatabase;
    /// The driver's connection it is, or holds.
    fn connection(&mut self) -> &mut <Self::Database as Database>::Connection;
}

impl<DB: TracedDatabase> Backend for sqlx::pool::PoolConnection<DB> {
    type Database = DB;
    fn connection(&mut self) -> &mut DB::Connection {
        self
    }
}

impl<DB: TracedDatabase> Backend for sqlx::Transaction<'_, DB> {
    type Database = DB;
    fn connection(&mut self) -> &mut DB::Connection {
        self
    }
}

/// Each driver's own connection is a backend too.
macro_rules! driver_backend {
    ($feature:literal, $connection:ty, $database:ty) => {
        #[cfg(feature = $feature)]
        impl Backend for $connection {
            type Database = $database;
            fn connection(&mut self) -> &mut $connection {
                self
            }
        }
    };
}

driver_backend!("sqlx-postgres", sqlx::PgConnection, sqlx::Postgres);
driver_backend!("sqlx-mysql", sqlx::MySqlConnection, sqlx::MySql);
driver_backend!("sqlx-sqlite", sqlx::SqliteConnection, sqlx::Sqlite);

impl<B: Backend> Connection<B> {
    /// Traces `inner` with its database's defaults (see
    /// [`TracedDatabase::config`]).
    pub fn new(inner: B) -> Connection<B> {
        Connection::with_config(inner, B::Database::config())
    }

    /// Traces `inner` as `config` says.
    pub fn with_config(inner: B, config: DbConfig) -> Connection<B> {
        Connection::shared(inner, Arc::new(config), None)
    }

    pub(super) fn shared(
        inner: B,
        config: Arc<DbConfig>,
        waited: Option<Duration>,
    ) -> Connection<B> {
        Connection {
            inner,
            config,
            waited,
        }
    }

    /// Begins a transaction (a savepoint, in a transaction): its `BEGIN`
    /// a span of its own.
    pub async fn begin(
        &mut self,
    ) -> Result<Connection<sqlx::Transaction<'_, B::Database>>, sqlx::Error> {
        let config = self.config.clone();
        let waited = self.waited.take();
        let begin = sqlx::Connection::begin(self.inner.connection());
        let transaction = traced(&config, "BEGIN", waited, begin).await?;
        Ok(Connection::shared(transaction, config, None))
    }

    /// The connection itself: what runs on it is not traced.
    pub fn untraced(&mut self) -> &mut B {
        &mut self.inner
    }

    /// The connection, no longer traced.
    pub fn into_inner(self) -> B {
        self.inner
    }
}

impl<DB: TracedDatabase> Connection<sqlx::Transaction<'_, DB>> {
    /// Commits (a `COMMIT` span).
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        traced(&self.config, "COMMIT", None, self.inner.commit()).await
    }

    /// Rolls back (a `ROLLBACK` span). A transaction dropped without
    /// either is rolled back by sqlx, untraced.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        traced(&self.config, "ROLLBACK", None, self.inner.rollback()).await
    }
}

impl<B> std::fmt::Debug for Connection<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("system", &self.config.system)
            .finish_non_exhaustive()
    }
}
