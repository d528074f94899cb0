//! Redis instrumentation for tracekit, what the Python original did by
//! wrapping its Redis client: every command and every pipeline a service
//! sends runs in a `client` span, after OpenTelemetry's database
//! conventions, and no value is ever recorded (`db.query.text` keeps the
//! command and the pattern of its key: `SET user:?:email ?`).
//!
//! [`Traced`] wraps a connection and implements redis's own
//! `ConnectionLike` (and, with the feature `aio`,
//! `redis::aio::ConnectionLike`), so `Commands`, `AsyncCommands`, `cmd(..)`
//! and pipelines work on it unchanged; wrapping is the one line that
//! changes where the connection is made:
//!
//! ```no_run
//! use redis::Commands;
//! use tracekit_redis::Traced;
//!
//! # fn main() -> redis::RedisResult<()> {
//! let client = redis::Client::open("redis://127.0.0.1:6379")?;
//! let mut cache = Traced::new(client.get_connection()?); // was: client.get_connection()?
//! let _: () = cache.set("user:42:name", "Ada")?; // a span "SET", text "SET user:?:name ?"
//! # Ok(())
//! # }
//! ```
//!
//! A command is traced only under an active span (a request's, a traced
//! function's), unless [`RedisConfig::root_spans`] says otherwise. A
//! pipeline is one span, `BATCH GET` when its commands are all `GET`s,
//! with `db.operation.batch.size`. A failure records Redis's error code
//! (`WRONGTYPE`) as `db.response.status_code`; an async command whose
//! future is dropped before its answer is marked `cancelled`.

#![warn(missing_docs)]

#[cfg(feature = "aio")]
mod aio;
mod command;
mod config;
mod span;
mod sync;

pub use config::RedisConfig;

/// A Redis connection whose commands run in spans. It implements the
/// same `ConnectionLike` traits as the connection it wraps (and is
/// `Clone` when it is, as the multiplexed connection and the connection
/// manager are).
#[derive(Clone, Debug)]
pub struct Traced<C> {
    inner: C,
    config: RedisConfig,
}

impl<C> Traced<C> {
    /// Traces `inner` with the defaults ([`RedisConfig::new`]).
    pub fn new(inner: C) -> Traced<C> {
        Traced::with_config(inner, RedisConfig::new())
    }

    /// Traces `inner` as `config` says.
    pub fn with_config(inner: C, config: RedisConfig) -> Traced<C> {
        Traced { inner, config }
    }

    /// The connection itself: what it sends is not traced.
    pub fn untraced(&mut self) -> &mut C {
        &mut self.inner
    }

    /// The connection, no longer traced.
    pub fn into_inner(self) -> C {
        self.inner
    }
}
