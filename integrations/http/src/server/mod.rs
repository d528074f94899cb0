//! The server side: a tower [`Layer`](tower_layer::Layer) that gives every
//! incoming request a `server` span, continuing the caller's trace, active
//! while the handler runs and finished when the response body has been
//! sent in full.
//!
//! ```
//! use axum::{Router, routing::get};
//! use tracekit_http::ServerLayer;
//!
//! let app: Router = Router::new()
//!     .route("/items/{id}", get(|| async { "apple" }))
//!     .layer(ServerLayer::new());
//! # drop(app);
//! ```

mod body;
mod body_mode;
mod config;
mod future;
mod layer;
mod service;
mod tags;

pub use body::{RequestBody, ResponseBody};
pub use body_mode::{CaptureRequest, PassRequest, RequestBodyMode};
pub use config::{RequestHook, ResponseHook};
pub use future::ResponseFuture;
pub use layer::ServerLayer;
pub use service::TracedService;
