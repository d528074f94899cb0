//! SQL instrumentation for tracekit, what the Python original did by
//! wrapping its database clients: every statement a service sends runs in
//! a `client` span named after what it does (`SELECT orders`), with
//! OpenTelemetry's database attributes and the query text without its
//! values.
//!
//! - [`sanitize`](fn@sanitize): query text without its values (on by default for every
//!   span); [`summarize`]: what a statement does, in few words.
//! - `rusqlite::Connection` (feature `rusqlite`): a traced SQLite
//!   connection.
//! - `tokio_postgres::Client` (feature `tokio-postgres`): a traced
//!   PostgreSQL client (or transaction); `deadpool_postgres::Pool`
//!   (feature `deadpool-postgres`): its pool, the wait for a connection
//!   recorded.
//! - `sqlx::Pool` and `sqlx::Connection` (feature `sqlx`, with the
//!   drivers' features `sqlx-postgres`, `sqlx-mysql`, `sqlx-sqlite`):
//!   sqlx's `Executor`, traced; needs Rust 1.94, as sqlx 0.9 does.
//!
//! A span is made only under an active parent span (a request's, a traced
//! function's): a cache or database call with no parent would start a
//! trace of its own, and such traces drown the ones that matter;
//! [`DbConfig::root_spans`] turns them on.

#![warn(missing_docs)]

mod analysis;
mod config;
mod intern;
mod lexer;
mod sanitize;
#[cfg(any(feature = "rusqlite", feature = "tokio-postgres", feature = "sqlx"))]
mod span;
mod summary;
mod template;

#[cfg(feature = "deadpool-postgres")]
pub mod deadpool_postgres;
#[cfg(feature = "rusqlite")]
pub mod rusqlite;
#[cfg(feature = "sqlx")]
pub mod sqlx;
#[cfg(feature = "tokio-postgres")]
pub mod tokio_postgres;

pub use analysis::sanitized;
pub use config::DbConfig;
pub use lexer::Dialect;
pub use sanitize::sanitize;
pub use summary::{Summary, summarize};
