//! A traced deadpool-postgres pool: [`Pool::get`] gives a traced
//! [`Client`] of a pooled connection, and the time it waited for one is a
//! tag (`db.client.connection.wait_time`, in seconds) on the span of the
//! first statement run with it, not a span of its own.
//!
//! ```no_run
//! use tracekit_sql::DbConfig;
//! use tracekit_sql::deadpool_postgres::Pool;
//!
//! # async fn run(pool: deadpool_postgres::Pool) -> Result<(), Box<dyn std::error::Error>> {
//! let pool = Pool::new(pool, DbConfig::postgres().namespace("shop")); // was: the pool itself
//! let db = pool.get().await?;
//! let rows = db.query("SELECT count FROM stock WHERE item = $1", &[&"apple"]).await?;
//! # drop(rows);
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;
use std::time::Instant;

use crate::config::DbConfig;
use crate::tokio_postgres::{Backend, Client};

/// A deadpool-postgres pool whose connections are traced clients.
#[derive(Clone)]
pub struct Pool {
    inner: deadpool_postgres::Pool,
    config: Arc<DbConfig>,
}

impl Pool {
    /// Traces the connections of `inner` as `config` says.
    pub fn new(inner: deadpool_postgres::Pool, config: DbConfig) -> Pool {
        Pool {
            inner,
            config: Arc::new(config),
        }
    }

    /// The pool itself.
    pub fn untraced(&self) -> &deadpool_postgres::Pool {
        &self.inner
    }

    /// A connection from the pool, traced; how long this waited is
    /// recorded on the span of its first statement.
    pub async fn get(
        &self,
    ) -> Result<Client<deadpool_postgres::Object>, deadpool_postgres::PoolError> {
        let started = Instant::now();
        let object = self.inner.get().await?;
        let client = Client::shared(object, self.config.clone());
        client.note_wait(started.elapsed());
        Ok(client)
    }
}

impl Backend for deadpool_postgres::Object {
    type Generic = tokio_postgres::Client;
    fn client(&self) -> &tokio_postgres::Client {
        self
    }
    fn generic_mut(&mut self) -> &mut tokio_postgres::Client {
        self
    }
}
