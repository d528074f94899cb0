//! A traced tokio-postgres client: [`Client`] wraps a `tokio_postgres`
//! client (or transaction) and has its methods that run statements, each
//! in a `client` span; wrapping is the one line that changes.
//!
//! ```no_run
//! use tracekit_sql::DbConfig;
//! use tracekit_sql::tokio_postgres::Client;
//!
//! # async fn run() -> Result<(), tokio_postgres::Error> {
//! let (client, connection) =
//!     tokio_postgres::connect("host=127.0.0.1 user=shop dbname=shop", tokio_postgres::NoTls).await?;
//! tokio::spawn(connection);
//! let db = Client::with_config(client, DbConfig::postgres().namespace("shop").server("127.0.0.1", 5432));
//! let rows = db.query("SELECT count FROM stock WHERE item = $1", &[&"apple"]).await?;
//! # drop(rows);
//! # Ok(())
//! # }
//! ```
//!
//! A query's span starts when the call is made, in the caller's context,
//! and ends with the answer; a query whose future is dropped first (a
//! timeout) ends `cancelled`. A failure records its SQLSTATE as
//! `db.response.status_code`. Statements prepared with [`Client::prepare`]
//! keep their text for their spans. What the wrapper does not offer is
//! reached, untraced, through [`Client::untraced`]. Bound parameters are
//! never recorded.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio_postgres::types::ToSql;
use tokio_postgres::{Error, GenericClient, Row, Transaction};

use crate::config::DbConfig;
use crate::span::{QuerySpan, unquoted};

/// A tokio-postgres client (`C` is a `tokio_postgres::Client`, a
/// `Transaction`, or with the feature `deadpool-postgres` a pooled
/// connection) whose statements run in spans.
pub struct Client<C = tokio_postgres::Client> {
    inner: C,
    config: Arc<DbConfig>,
    /// How long getting the connection from its pool waited, in
    /// nanoseconds plus one (0: nothing to record): a tag on the first
    /// statement's span.
    waited: AtomicU64,
}

/// What a traced [`Client`] runs statements on: a tokio-postgres client
/// or transaction, or a pooled connection.
pub trait Backend: Send + Sync {
    /// The tokio-postgres client or transaction it is.
    type Generic: GenericClient + Send + Sync;
    /// The connection's client, to run statements on. A transaction's
    /// statements are its client's (tokio-postgres's `Transaction` runs
    /// them so); its methods, unlike [`GenericClient`]'s, do not box their
    /// futures: a boxed query's future is an allocation of about 1 KB a
    /// statement, which costs more than the span.
    fn client(&self) -> &tokio_postgres::Client;
    /// It, to begin a transaction.
    fn generic_mut(&mut self) -> &mut Self::Generic;
}

impl Backend for tokio_postgres::Client {
    type Generic = Self;
    fn client(&self) -> &Self {
        self
    }
    fn generic_mut(&mut self) -> &mut Self {
        self
    }
}

impl Backend for Transaction<'_> {
    type Generic = Self;
    fn client(&self) -> &tokio_postgres::Client {
        Transaction::client(self)
    }
    fn generic_mut(&mut self) -> &mut Self {
        self
    }
}

/// A statement prepared through a traced client: the statement, and its
/// text for the spans of its executions.
#[derive(Clone)]
pub struct Statement {
    inner: tokio_postgres::Statement,
    sql: Arc<str>,
}

impl Statement {
    /// The prepared statement itself.
    pub fn untraced(&self) -> &tokio_postgres::Statement {
        &self.inner
    }
}

/// What a traced query runs: a text, or a statement prepared through a
/// traced client.
pub trait Query: Sync {
    /// The statement's text.
    fn text(&self) -> &str;
    #[doc(hidden)]
    fn statement(&self) -> Either<'_>;
}

#[doc(hidden)]
pub enum Either<'a> {
    Text(&'a str),
    Prepared(&'a tokio_postgres::Statement),
}

impl Query for str {
    fn text(&self) -> &str {
        self
    }
    fn statement(&self) -> Either<'_> {
        Either::Text(self)
    }
}

impl Query for Statement {
    fn text(&self) -> &str {
        &self.sql
    }
    fn statement(&self) -> Either<'_> {
        Either::Prepared(&self.inner)
    }
}

impl Client {
    /// Traces `inner` with the PostgreSQL defaults (name the database and
    /// server with [`with_config`](Self::with_config) for
    /// `db.namespace` and `server.*`).
    pub fn new(inner: tokio_postgres::Client) -> Client {
        Client::with_config(inner, DbConfig::postgres())
    }
}

impl<C> Client<C> {
    /// Traces `inner` as `config` says.
    pub fn with_config(inner: C, config: DbConfig) -> Client<C> {
        Client::shared(inner, Arc::new(config))
    }

    pub(crate) fn shared(inner: C, config: Arc<DbConfig>) -> Client<C> {
        Client {
            inner,
            config,
            waited: AtomicU64::new(0),
        }
    }

    /// Notes how long getting this connection waited (see
    /// [`waited`](Self::waited)).
    #[cfg_attr(not(feature = "deadpool-postgres"), allow(dead_code))]
    pub(crate) fn note_wait(&self, waited: Duration) {
        let nanos = u64::try_from(waited.as_nanos()).unwrap_or(u64::MAX - 1);
        self.waited.store(nanos + 1, Ordering::Relaxed);
    }

    /// The wait noted and not yet recorded. Read before it is taken: a
    /// client not from a pool never has one, and the swap, a locked
    /// instruction, would cost every statement a fence.
    fn take_wait(&self) -> Option<Duration> {
        if self.waited.load(Ordering::Relaxed) == 0 {
            return None;
        }
        match self.waited.swap(0, Ordering::Relaxed) {
            0 => None,
            nanos => Some(Duration::from_nanos(nanos - 1)),
        }
    }

    /// The client itself: what it runs is not traced.
    pub fn untraced(&self) -> &C {
        &self.inner
    }

    /// The client, no longer traced.
    pub fn into_inner(self) -> C {
        self.inner
    }
}

/// Ends `span` with `result`: `done` records what succeeded.
fn finish<T>(
    span: &mut QuerySpan,
    result: &Result<T, Error>,
    done: impl FnOnce(&mut QuerySpan, &T),
) {
    match result {
        Ok(value) => {
            done(span, value);
            span.answered();
        }
        Err(error) => failed(span, error),
    }
}

/// Runs `run` in the span of `sql` (for what takes no text to send).
async fn traced<T>(
    config: &DbConfig,
    sql: &str,
    run: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let mut span = QuerySpan::start(config, sql);
    let result = run.await;
    finish(&mut span, &result, |_, _| {});
    result
}

/// The text or statement of `$query`, sent by `$method` of `$client`
/// with `$params`, in its span (the text with the sqlcommenter comment
/// when asked for).
macro_rules! run_query {
    ($self:ident, $query:ident, $method:ident, $params:ident, $done:expr) => {{
        let mut span = QuerySpan::start(&$self.config, $query.text());
        if let Some(waited) = $self.take_wait() {
            span.waited(waited);
        }
        span.parameters(&$self.config, $params, |parameter| format!("{parameter:?}"));
        let client = $self.inner.client();
        let result = match $query.statement() {
            Either::Text(text) => {
                let sent = span.commented(&$self.config, text);
                client.$method(&*sent, $params).await
            }
            Either::Prepared(statement) => client.$method(statement, $params).await,
        };
        finish(&mut span, &result, $done);
        result
    }};
}

impl<C: Backend> Client<C> {
    /// Runs a query; returns its rows.
    pub async fn query<Q: Query + ?Sized>(
        &self,
        query: &Q,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, Error> {
        run_query!(self, query, query, params, |span, rows: &Vec<Row>| span
            .returned_rows(rows.len() as u64))
    }

    /// Runs a query that returns one row.
    pub async fn query_one<Q: Query + ?Sized>(
        &self,
        query: &Q,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, Error> {
        run_query!(self, query, query_one, params, |span, _| span
            .returned_rows(1))
    }

    /// Runs a query that returns at most one row.
    pub async fn query_opt<Q: Query + ?Sized>(
        &self,
        query: &Q,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, Error> {
        run_query!(self, query, query_opt, params, |span, row: &Option<Row>| {
            span.returned_rows(u64::from(row.is_some()))
        })
    }

    /// Runs a statement; returns the rows it changed.
    pub async fn execute<Q: Query + ?Sized>(
        &self,
        query: &Q,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, Error> {
        run_query!(self, query, execute, params, |span, changed: &u64| span
            .affected_rows(*changed))
    }

    /// Runs several statements separated by `;`, in one span.
    pub async fn batch_execute(&self, sql: &str) -> Result<(), Error> {
        let mut span = QuerySpan::start(&self.config, sql);
        let sent = span.commented(&self.config, sql);
        let result = self.inner.client().batch_execute(&sent).await;
        finish(&mut span, &result, |_, _| {});
        result
    }

    /// Prepares a statement (not a span of its own: its executions are).
    pub async fn prepare(&self, sql: &str) -> Result<Statement, Error> {
        Ok(Statement {
            inner: self.inner.client().prepare(sql).await?,
            sql: Arc::from(sql),
        })
    }

    /// Begins a transaction (or a savepoint, in a transaction): its
    /// `BEGIN` a span of its own.
    pub async fn transaction(&mut self) -> Result<Client<Transaction<'_>>, Error> {
        let config = self.config.clone();
        let inner = traced(&config, "BEGIN", self.inner.generic_mut().transaction()).await?;
        Ok(Client::shared(inner, config))
    }
}

impl Client<Transaction<'_>> {
    /// Commits (a `COMMIT` span).
    pub async fn commit(self) -> Result<(), Error> {
        let config = self.config.clone();
        traced(&config, "COMMIT", self.inner.commit()).await
    }

    /// Rolls back (a `ROLLBACK` span).
    pub async fn rollback(self) -> Result<(), Error> {
        let config = self.config.clone();
        traced(&config, "ROLLBACK", self.inner.rollback()).await
    }
}

/// Records `error` on `span`: its SQLSTATE as `db.response.status_code`
/// and `error.type`, the server's message with what it quotes replaced by
/// `?` (a message may quote a value: `invalid input syntax for type
/// integer: "…"`), never its detail (which quotes keys).
fn failed(span: &mut QuerySpan, error: &Error) {
    if !span.is_recording() {
        span.answered();
        return;
    }
    let status = error.code().map(|code| code.code().to_owned());
    let message = match error.as_db_error() {
        Some(db) => unquoted(db.message()),
        None => error.to_string(),
    };
    let kind = status
        .clone()
        .unwrap_or_else(|| "tokio_postgres::Error".to_owned());
    span.failed(status, &kind, &message);
}
