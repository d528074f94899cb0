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
mod config;
mod future;
mod service;

pub use body::{RequestBody, ResponseBody};
pub use config::{
    CaptureRequest, PassRequest, RequestBodyMode, RequestHook, ResponseHook, ServerLayer,
};
pub use future::ResponseFuture;
pub use service::TracedService;
