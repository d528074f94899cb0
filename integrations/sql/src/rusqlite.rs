//! A traced rusqlite connection: [`Connection`] has the methods of
//! `rusqlite::Connection` that run statements, each in a `client` span;
//! building it is the one line that changes.
//!
//! ```
//! use tracekit_sql::rusqlite::Connection;
//!
//! # fn main() -> rusqlite::Result<()> {
//! let db = Connection::open_in_memory()?; // was: rusqlite::Connection::open_in_memory()?
//! db.execute_batch("CREATE TABLE stock (item TEXT PRIMARY KEY, count INTEGER)")?;
//! db.execute("INSERT INTO stock VALUES (?1, ?2)", ("apple", 5))?;
//! let (_, spans) = tracekit::testing::capture(|| {
//!     db.query_row("SELECT count FROM stock WHERE item = ?1", ["apple"], |row| row.get::<_, i64>(0))
//! });
//! assert_eq!(spans[0].name, "SELECT stock");
//! # Ok(())
//! # }
//! ```
//!
//! A prepared [`Statement`]'s executions are traced too (its rows counted
//! as they are read, its span ending when they are dropped); so are a
//! [`Transaction`]'s statements, its `BEGIN`, `COMMIT` and `ROLLBACK`.
//! What the wrapper does not offer is reached, untraced, through
//! [`Connection::untraced`]. Bound parameters are never recorded (rusqlite
//! does not show them).

use std::borrow::Cow;
use std::path::Path;

use rusqlite::{Params, Row};

use crate::config::DbConfig;
use crate::span::QuerySpan;

/// A rusqlite connection whose statements run in spans.
pub struct Connection {
    inner: rusqlite::Connection,
    config: DbConfig,
}

impl Connection {
    /// Traces `inner` with the SQLite defaults (`db.namespace`: its file's
    /// name, `main` in memory).
    pub fn new(inner: rusqlite::Connection) -> Connection {
        let namespace = inner
            .path()
            .filter(|path| !path.is_empty())
            .and_then(|path| Path::new(path).file_name()?.to_str().map(str::to_owned))
            .unwrap_or_else(|| "main".to_owned());
        Connection::with_config(inner, DbConfig::sqlite().namespace(namespace))
    }

    /// Traces `inner` as `config` says.
    pub fn with_config(inner: rusqlite::Connection, config: DbConfig) -> Connection {
        Connection { inner, config }
    }

    /// Opens the database file at `path` (see `rusqlite::Connection::open`).
    pub fn open(path: impl AsRef<Path>) -> rusqlite::Result<Connection> {
        rusqlite::Connection::open(path).map(Connection::new)
    }

    /// A new in-memory database.
    pub fn open_in_memory() -> rusqlite::Result<Connection> {
        rusqlite::Connection::open_in_memory().map(Connection::new)
    }

    /// What this connection records.
    pub fn config(&self) -> &DbConfig {
        &self.config
    }

    /// The connection itself: what it runs is not traced.
    pub fn untraced(&self) -> &rusqlite::Connection {
        &self.inner
    }

    /// The connection, no longer traced.
    pub fn into_inner(self) -> rusqlite::Connection {
        self.inner
    }

    /// Runs one statement; returns the rows it changed.
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        execute(&self.inner, &self.config, sql, params)
    }

    /// Runs several statements separated by `;`, in one span.
    pub fn execute_batch(&self, sql: &str) -> rusqlite::Result<()> {
        traced(
            &self.config,
            sql,
            |sql| self.inner.execute_batch(sql),
            |_, _| {},
        )
    }

    /// Runs a query and maps its first row.
    pub fn query_row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    {
        query_row(&self.inner, &self.config, sql, params, f)
    }

    /// Prepares a statement, whose executions are traced.
    pub fn prepare<'c>(&'c self, sql: &str) -> rusqlite::Result<Statement<'c>> {
        prepare(&self.inner, &self.config, sql)
    }

    /// Begins a transaction (its `BEGIN` a span of its own).
    pub fn transaction(&mut self) -> rusqlite::Result<Transaction<'_>> {
        let config = &self.config;
        let inner = &mut self.inner;
        let mut span = QuerySpan::start(config, "BEGIN");
        match inner.transaction() {
            Ok(inner) => {
                span.answered();
                Ok(Transaction { inner, config })
            }
            Err(error) => {
                failed(&mut span, &error);
                Err(error)
            }
        }
    }
}

/// A traced transaction (see `rusqlite::Transaction`): dropped without
/// `commit`, it rolls back.
pub struct Transaction<'c> {
    inner: rusqlite::Transaction<'c>,
    config: &'c DbConfig,
}

impl Transaction<'_> {
    /// Runs one statement; returns the rows it changed.
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        execute(&self.inner, self.config, sql, params)
    }

    /// Runs several statements separated by `;`, in one span.
    pub fn execute_batch(&self, sql: &str) -> rusqlite::Result<()> {
        traced(
            self.config,
            sql,
            |sql| self.inner.execute_batch(sql),
            |_, _| {},
        )
    }

    /// Runs a query and maps its first row.
    pub fn query_row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    {
        query_row(&self.inner, self.config, sql, params, f)
    }

    /// Prepares a statement, whose executions are traced.
    pub fn prepare(&self, sql: &str) -> rusqlite::Result<Statement<'_>> {
        prepare(&self.inner, self.config, sql)
    }

    /// Commits (a `COMMIT` span).
    pub fn commit(self) -> rusqlite::Result<()> {
        let config = self.config;
        traced(config, "COMMIT", |_| self.inner.commit(), |_, _| {})
    }

    /// Rolls back (a `ROLLBACK` span).
    pub fn rollback(self) -> rusqlite::Result<()> {
        let config = self.config;
        traced(config, "ROLLBACK", |_| self.inner.rollback(), |_, _| {})
    }
}

/// A prepared statement whose executions run in spans.
pub struct Statement<'c> {
    inner: rusqlite::Statement<'c>,
    config: &'c DbConfig,
    /// The text, kept: each execution's span reads it (from the cache,
    /// found by this copy's address).
    sql: Box<str>,
}

impl Statement<'_> {
    /// Runs the statement; returns the rows it changed.
    pub fn execute<P: Params>(&mut self, params: P) -> rusqlite::Result<usize> {
        let inner = &mut self.inner;
        traced(
            self.config,
            &self.sql,
            |_| inner.execute(params),
            |span, changed| span.affected_rows(*changed as u64),
        )
    }

    /// Runs the query and maps its first row.
    pub fn query_row<T, P, F>(&mut self, params: P, f: F) -> rusqlite::Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    {
        let inner = &mut self.inner;
        traced(
            self.config,
            &self.sql,
            |_| inner.query_row(params, f),
            |span, _| span.returned_rows(1),
        )
    }

    /// Whether the query returns a row.
    pub fn exists<P: Params>(&mut self, params: P) -> rusqlite::Result<bool> {
        let inner = &mut self.inner;
        traced(
            self.config,
            &self.sql,
            |_| inner.exists(params),
            |span, found| span.returned_rows(u64::from(*found)),
        )
    }

    /// Runs the query and maps each row as it is read; the span ends when
    /// the rows are dropped, with the count read.
    pub fn query_map<T, P, F>(&mut self, params: P, f: F) -> rusqlite::Result<MappedRows<'_, F>>
    where
        P: Params,
        F: FnMut(&Row<'_>) -> rusqlite::Result<T>,
    {
        let mut span = QuerySpan::start(self.config, &self.sql);
        match self.inner.query_map(params, f) {
            Ok(rows) => Ok(MappedRows {
                rows,
                span,
                read: 0,
            }),
            Err(error) => {
                failed(&mut span, &error);
                Err(error)
            }
        }
    }
}

/// The rows of [`Statement::query_map`], counted as they are read; the
/// span ends when they are dropped.
pub struct MappedRows<'s, F> {
    rows: rusqlite::MappedRows<'s, F>,
    span: QuerySpan,
    read: u64,
}

impl<T, F> Iterator for MappedRows<'_, F>
where
    F: FnMut(&Row<'_>) -> rusqlite::Result<T>,
{
    type Item = rusqlite::Result<T>;

    fn next(&mut self) -> Option<Self::Item> {
        let next = self.rows.next();
        match &next {
            Some(Ok(_)) => self.read += 1,
            Some(Err(error)) => failed(&mut self.span, error),
            None => {}
        }
        next
    }
}

impl<F> Drop for MappedRows<'_, F> {
    fn drop(&mut self) {
        self.span.returned_rows(self.read);
        // Rows left unread are not a cancelled query.
        self.span.answered();
    }
}

fn execute<P: Params>(
    connection: &rusqlite::Connection,
    config: &DbConfig,
    sql: &str,
    params: P,
) -> rusqlite::Result<usize> {
    traced(
        config,
        sql,
        |sql| connection.execute(sql, params),
        |span, changed| span.affected_rows(*changed as u64),
    )
}

fn query_row<T, P, F>(
    connection: &rusqlite::Connection,
    config: &DbConfig,
    sql: &str,
    params: P,
    f: F,
) -> rusqlite::Result<T>
where
    P: Params,
    F: FnOnce(&Row<'_>) -> rusqlite::Result<T>,
{
    traced(
        config,
        sql,
        |sql| connection.query_row(sql, params, f),
        |span, _| span.returned_rows(1),
    )
}

fn prepare<'c>(
    connection: &'c rusqlite::Connection,
    config: &'c DbConfig,
    sql: &str,
) -> rusqlite::Result<Statement<'c>> {
    Ok(Statement {
        inner: connection.prepare(sql)?,
        config,
        sql: Box::from(sql),
    })
}

/// Runs `run` with the text to send (`sql`, with the sqlcommenter comment
/// when asked for) in the span of `sql`; `done` records what succeeded.
fn traced<T>(
    config: &DbConfig,
    sql: &str,
    run: impl FnOnce(&str) -> rusqlite::Result<T>,
    done: impl FnOnce(&mut QuerySpan, &T),
) -> rusqlite::Result<T> {
    let mut span = QuerySpan::start(config, sql);
    let sent: Cow<'_, str> = span.commented(config, sql);
    let result = run(&sent);
    match &result {
        Ok(value) => {
            done(&mut span, value);
            span.answered();
        }
        Err(error) => failed(&mut span, error),
    }
    result
}

/// Records `error` on `span`: SQLite's extended result code as
/// `db.response.status_code`, its name as `error.type`.
fn failed(span: &mut QuerySpan, error: &rusqlite::Error) {
    if !span.is_recording() {
        span.answered();
        return;
    }
    match error {
        rusqlite::Error::SqliteFailure(failure, message) => {
            let kind = format!("{:?}", failure.code);
            let message = message.clone().unwrap_or_else(|| failure.to_string());
            span.failed(Some(failure.extended_code.to_string()), &kind, &message);
        }
        // Its text would carry the statement as written, values and all:
        // the message and the offset alone.
        rusqlite::Error::SqlInputError {
            error, msg, offset, ..
        } => {
            let kind = format!("{:?}", error.code);
            let message = format!("{msg} at offset {offset}");
            span.failed(Some(error.extended_code.to_string()), &kind, &message);
        }
        other => {
            let debug = format!("{other:?}");
            let kind = debug.split(['(', ' ', '{']).next().unwrap_or("Error");
            span.failed(None, kind, &other.to_string());
        }
    }
}
