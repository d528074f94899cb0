//! sqlx's `Executor` on the traced pool and connection: each statement's
//! span starts at the call, in the caller's context, and ends with its
//! last row or its error.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_core::future::BoxFuture;
use futures_core::stream::BoxStream;
use futures_util::StreamExt;
use sqlx::error::BoxDynError;
use sqlx::{AssertSqlSafe, Database, Describe, Execute, Executor, SqlSafeStr, SqlStr};

use super::Pool;
use super::connection::{Backend, Connection};
use super::database::{TracedDatabase, failed};
use super::stream::{Generated, Recorded, Step};
use crate::config::DbConfig;
use crate::span::QuerySpan;

/// A query taken apart so its text can be read before it runs (sqlx's
/// `Execute::sql` gives the text up only by consuming the query), and
/// put back together as the query the driver runs.
struct Taken<DB: Database> {
    sql: SqlStr,
    statement: Option<DB::Statement>,
    arguments: Result<Option<DB::Arguments>, BoxDynError>,
    persistent: bool,
}

impl<'q, DB: Database> Execute<'q, DB> for Taken<DB> {
    fn sql(self) -> SqlStr {
        self.sql
    }

    fn statement(&self) -> Option<&DB::Statement> {
        self.statement.as_ref()
    }

    fn take_arguments(&mut self) -> Result<Option<DB::Arguments>, BoxDynError> {
        std::mem::replace(&mut self.arguments, Ok(None))
    }

    fn persistent(&self) -> bool {
        self.persistent
    }
}

/// Starts the span of `query` as `config` says (with the pool's wait,
/// if one is still to be recorded) and returns it with the query to run:
/// its text commented with the `traceparent` when the configuration asks.
fn start<'q, DB: Database>(
    config: &DbConfig,
    waited: Option<Duration>,
    mut query: impl Execute<'q, DB>,
) -> (QuerySpan, Taken<DB>) {
    let statement = query.statement().cloned();
    let arguments = query.take_arguments();
    let persistent = query.persistent();
    let sql = query.sql();
    let mut span = QuerySpan::start(config, sql.as_str());
    if let Some(waited) = waited {
        span.waited(waited);
    }
    // A prepared statement's text is sent once, when it is prepared.
    let sql = match span.commented(config, sql.as_str()) {
        std::borrow::Cow::Owned(commented) if statement.is_none() => {
            AssertSqlSafe(commented).into_sql_str()
        }
        _ => sql,
    };
    let taken = Taken {
        sql,
        statement,
        arguments,
        persistent,
    };
    (span, taken)
}

/// Ends `span` with the row `result` holds, or its error.
fn finish_optional<R>(span: &mut QuerySpan, result: &Result<Option<R>, sqlx::Error>) {
    match result {
        Ok(row) => {
            span.returned_rows(u64::from(row.is_some()));
            span.answered();
        }
        Err(error) => failed(span, error),
    }
}

/// Takes a connection from `pool`, the wait recorded on `span` (and a
/// failure to get one).
async fn acquire<DB: Database>(
    pool: &sqlx::Pool<DB>,
    span: &mut QuerySpan,
) -> Result<sqlx::pool::PoolConnection<DB>, sqlx::Error> {
    let started = Instant::now();
    let connection = pool
        .acquire()
        .await
        .inspect_err(|error| failed(span, error))?;
    span.waited(started.elapsed());
    Ok(connection)
}

impl<'p, DB> Executor<'p> for &'_ Pool<DB>
where
    DB: TracedDatabase,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    type Database = DB;

    fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, Step<DB>>
    where
        'p: 'e,
        E: 'q + Execute<'q, DB>,
    {
        let (mut span, taken) = start(&self.config, None, query);
        let pool = self.inner.clone();
        Box::pin(Generated::new(move |yielder| async move {
            let mut connection = acquire(&pool, &mut span).await?;
            let mut steps = Recorded::<_, DB>::new(connection.fetch_many(taken), span);
            while let Some(step) = steps.next().await {
                let last = step.is_err();
                yielder.send(step).await;
                if last {
                    break;
                }
            }
            Ok(())
        }))
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<DB::Row>, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, DB>,
    {
        let (mut span, taken) = start(&self.config, None, query);
        let pool = self.inner.clone();
        Box::pin(async move {
            let mut connection = acquire(&pool, &mut span).await?;
            let result = connection.fetch_optional(taken).await;
            finish_optional(&mut span, &result);
            result
        })
    }

    fn prepare_with<'e>(
        self,
        sql: SqlStr,
        parameters: &'e [DB::TypeInfo],
    ) -> BoxFuture<'e, Result<DB::Statement, sqlx::Error>>
    where
        'p: 'e,
    {
        (&self.inner).prepare_with(sql, parameters)
    }

    fn describe<'e>(self, sql: SqlStr) -> BoxFuture<'e, Result<Describe<DB>, sqlx::Error>>
    where
        'p: 'e,
    {
        (&self.inner).describe(sql)
    }
}

impl<'c, B, DB> Executor<'c> for &'c mut Connection<B>
where
    B: Backend<Database = DB>,
    DB: TracedDatabase,
    for<'a> &'a mut DB::Connection: Executor<'a, Database = DB>,
{
    type Database = DB;

    fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, Step<DB>>
    where
        'c: 'e,
        E: 'q + Execute<'q, DB>,
    {
        let (span, taken) = start(&self.config, self.waited.take(), query);
        Box::pin(Recorded::<_, DB>::new(
            self.inner.connection().fetch_many(taken),
            span,
        ))
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<DB::Row>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, DB>,
    {
        let (mut span, taken) = start(&self.config, self.waited.take(), query);
        let running = self.inner.connection().fetch_optional(taken);
        Box::pin(async move {
            let result = running.await;
            finish_optional(&mut span, &result);
            result
        })
    }

    fn prepare_with<'e>(
        self,
        sql: SqlStr,
        parameters: &'e [DB::TypeInfo],
    ) -> BoxFuture<'e, Result<DB::Statement, sqlx::Error>>
    where
        'c: 'e,
    {
        self.inner.connection().prepare_with(sql, parameters)
    }

    fn describe<'e>(self, sql: SqlStr) -> BoxFuture<'e, Result<Describe<DB>, sqlx::Error>>
    where
        'c: 'e,
    {
        self.inner.connection().describe(sql)
    }
}

/// Runs `run`, a statement that takes no text from the caller (`BEGIN`,
/// `COMMIT`), in the span of `sql`.
pub(super) async fn traced<T>(
    config: &Arc<DbConfig>,
    sql: &str,
    waited: Option<Duration>,
    run: impl Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, sqlx::Error> {
    let mut span = QuerySpan::start(config, sql);
    if let Some(waited) = waited {
        span.waited(waited);
    }
    let result = run.await;
    match &result {
        Ok(_) => span.answered(),
        Err(error) => failed(&mut span, error),
    }
    result
}
