//! What differs between sqlx's drivers: the defaults of their spans and
//! the count of rows a statement changed; and how a sqlx error is
//! recorded.

use sqlx::Database;

use crate::config::DbConfig;
use crate::span::{QuerySpan, unquoted};

/// A sqlx database the wrappers trace: PostgreSQL (feature
/// `sqlx-postgres`), MySQL and MariaDB (`sqlx-mysql`), SQLite
/// (`sqlx-sqlite`).
pub trait TracedDatabase: Database {
    /// The defaults of its spans (`DbConfig::postgres()`, ...; MariaDB is
    /// named with [`DbConfig::mariadb`] given to `with_config`).
    fn config() -> DbConfig;

    /// The rows a statement's result says it changed.
    fn rows_affected(result: &Self::QueryResult) -> u64;
}

#[cfg(feature = "sqlx-postgres")]
impl TracedDatabase for sqlx::Postgres {
    fn config() -> DbConfig {
        DbConfig::postgres()
    }
    fn rows_affected(result: &sqlx::postgres::PgQueryResult) -> u64 {
        result.rows_affected()
    }
}

#[cfg(feature = "sqlx-mysql")]
impl TracedDatabase for sqlx::MySql {
    fn config() -> DbConfig {
        DbConfig::mysql()
    }
    fn rows_affected(result: &sqlx::mysql::MySqlQueryResult) -> u64 {
        result.rows_affected()
    }
}

#[cfg(feature = "sqlx-sqlite")]
impl TracedDatabase for sqlx::Sqlite {
    fn config() -> DbConfig {
        DbConfig::sqlite()
    }
    fn rows_affected(result: &sqlx::sqlite::SqliteQueryResult) -> u64 {
        result.rows_affected()
    }
}

/// Records `error` on `span`: a database's code (SQLSTATE; SQLite's
/// extended result code) as `db.response.status_code` and `error.type`,
/// its message with what it quotes replaced by `?` (`Duplicate entry
/// '…' for key …`); any other error by its kind.
pub(super) fn failed(span: &mut QuerySpan, error: &sqlx::Error) {
    if !span.is_recording() {
        span.answered();
        return;
    }
    match error {
        sqlx::Error::Database(database) => {
            let status = database.code().map(|code| code.into_owned());
            let kind = status
                .clone()
                .unwrap_or_else(|| "sqlx::Error::Database".to_owned());
            span.failed(status, &kind, &unquoted(database.message()));
        }
        other => span.failed(None, error_kind(other), &other.to_string()),
    }
}

/// The kind of an error that is not the database's.
fn error_kind(error: &sqlx::Error) -> &'static str {
    match error {
        sqlx::Error::Io(_) => "sqlx::Error::Io",
        sqlx::Error::Tls(_) => "sqlx::Error::Tls",
        sqlx::Error::Protocol(_) => "sqlx::Error::Protocol",
        sqlx::Error::PoolTimedOut => "sqlx::Error::PoolTimedOut",
        sqlx::Error::PoolClosed => "sqlx::Error::PoolClosed",
        sqlx::Error::WorkerCrashed => "sqlx::Error::WorkerCrashed",
        sqlx::Error::Configuration(_) => "sqlx::Error::Configuration",
        sqlx::Error::Encode(_) => "sqlx::Error::Encode",
        sqlx::Error::Decode(_) | sqlx::Error::ColumnDecode { .. } => "sqlx::Error::Decode",
        sqlx::Error::TypeNotFound { .. } => "sqlx::Error::TypeNotFound",
        sqlx::Error::ColumnNotFound(_) | sqlx::Error::ColumnIndexOutOfBounds { .. } => {
            "sqlx::Error::ColumnNotFound"
        }
        sqlx::Error::RowNotFound => "sqlx::Error::RowNotFound",
        _ => "sqlx::Error",
    }
}
