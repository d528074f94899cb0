//! The `tracing` bridge for tracekit: what the libraries a service depends
//! on (hyper, h2, tonic, tower-http, sqlx, ...) and its own `#[instrument]`
//! code describe with the `tracing` crate, in tracekit's traces; and the
//! trace ids on its log lines.
//!
//! [`layer()`] is a `tracing_subscriber` layer: each `tracing` span becomes
//! a tracekit span and each event inside one a log of it, with one context
//! for both crates.
//!
//! ```
//! use tracing_subscriber::layer::SubscriberExt;
//!
//! let subscriber = tracing_subscriber::registry().with(tracekit_tracing::layer());
//! tracing::subscriber::set_global_default(subscriber).unwrap();
//! ```
//!
//! - **One context.** A `tracing` span entered is tracekit's active span:
//!   `tracekit::context::current()` names it, a `#[traced]` call inside it
//!   is its child, and a `tracing` span made inside a `#[traced]` call is
//!   that call's child; across `.await` (`Instrument`), tasks and threads
//!   alike. An explicit `parent:` is honoured, `parent: None` starts a
//!   trace, `follows_from` adds a follows-from reference (none when the
//!   cause is already closed).
//! - **Fields** become typed tags (integers, floats, booleans, strings;
//!   `?` and `%` values as their text), those recorded later with
//!   `Span::record` too. As tracing-opentelemetry's users write them,
//!   `otel.name` renames the span, `otel.kind` gives its kind (at its
//!   start), `otel.status_code = "ERROR"` (with `otel.status_description`)
//!   and an `error` field fail it, as does the `error` event
//!   `#[instrument(err)]` emits.
//! - **Events** inside a span are its logs: the message as `event`, then
//!   the fields, `level` and `target`. An event at `ERROR` fails nothing by
//!   itself unless [`TracekitLayer::error_events_fail`] says so.
//! - **Filters** work as `tracing-subscriber`'s users expect (per-layer
//!   filters, `EnvFilter`, levels); a span filtered out leaves its
//!   children to its nearest traced ancestor.
//! - **Bounded**: at most [`TracekitLayer::max_open_spans`] spans open at
//!   once, [`TracekitLayer::max_events_per_span`] logs each.
//!
//! Log lines carry the ids of the active span: [`fmt::TraceIds`]
//! (feature `fmt`, on by default) for tracing-subscriber's fmt layer, plain
//! or JSON, and `log::TraceIds` (feature `log`) around any `log` logger.

#![warn(missing_docs)]

mod entered;
mod fields;
#[cfg(feature = "fmt")]
pub mod fmt;
mod layer;
#[cfg(feature = "log")]
pub mod log;
mod made;
mod open_count;

pub use layer::{TracekitLayer, layer};
