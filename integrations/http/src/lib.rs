//! HTTP instrumentation for tracekit, what the Python original did by
//! wrapping `FastAPI.__init__` and `requests.Session.send`: every incoming
//! request gets a `server` span that continues the caller's trace, every
//! outgoing request a `client` span whose context travels in its headers.
//!
//! - [`ServerLayer`] (feature `server`, on by default): a tower layer for
//!   axum, hyper (through hyper-util's tower adapter) and tonic.
//! - [`ClientLayer`] (feature `client`, on by default): a tower layer for
//!   hyper-util's client, or any tower service over `http` types; with the
//!   feature `hyper-util`, it also records the address that answered.
//! - `TracingMiddleware` (feature `reqwest`): a `reqwest-middleware`
//!   middleware.
//! - `shutdown_signal` (feature `shutdown-signal`): Ctrl-C or SIGTERM, for
//!   a graceful shutdown that loses no finished span.
//!
//! The facade `tracekit` turns these on under the same names (`axum`,
//! `reqwest`, `hyper-util`, `shutdown-signal`; `http` for the crate
//! itself).
//!
//! ```no_run
//! use std::net::SocketAddr;
//! use axum::{Router, routing::get};
//! use tracekit_http::ServerLayer;
//!
//! #[tracekit::traced]
//! async fn find_item(id: u64) -> String {
//!     format!("item {id}")
//! }
//!
//! # #[tokio::main]
//! # async fn main() -> std::io::Result<()> {
//! let app: Router = Router::new()
//!     .route("/items/{id}", get(|axum::extract::Path(id): axum::extract::Path<u64>| find_item(id)))
//!     // Added with `Router::layer`, the layer sees the matched route:
//!     // spans are named `GET /items/{id}`.
//!     .layer(ServerLayer::new());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! // With the connection info, spans record `client.address`.
//! axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await
//! # }
//! ```
//!
//! Inside a handler, the request's span is active: `#[traced]` functions
//! called there, awaited or not, are its children. Work moved to another
//! task keeps it with `FutureExt::with_current_context`
//! (`tokio::spawn(work().with_current_context())`); a closure given to
//! `spawn_blocking` keeps it with the context taken before:
//! `let context = Context::current();` then
//! `spawn_blocking(move || context.run(|| audit()))`.

#![warn(missing_docs)]

#[cfg(feature = "server")]
mod capture;
#[cfg(feature = "server")]
mod grpc;
#[cfg(feature = "server")]
mod guard;
#[cfg(any(feature = "server", feature = "client", feature = "reqwest"))]
mod headers;
#[cfg(feature = "server")]
mod names;
#[cfg(any(feature = "server", feature = "client", feature = "reqwest"))]
mod semconv;

#[cfg(any(feature = "client", feature = "reqwest"))]
pub mod client;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "shutdown-signal")]
mod shutdown;

#[cfg(feature = "server")]
pub use capture::{BodyCapture, Redact};
#[cfg(feature = "reqwest")]
pub use client::TracingMiddleware;
#[cfg(feature = "client")]
pub use client::{ClientLayer, ClientService};
#[cfg(feature = "server")]
pub use server::ServerLayer;
#[cfg(feature = "shutdown-signal")]
pub use shutdown::shutdown_signal;
