//! The runtime of tracekit: an OpenTracing-style model of tracers, spans,
//! scopes and contexts, with samplers and exporters.
//!
//! Most users depend on the `tracekit` facade, which re-exports everything
//! here next to the `#[traced]` attribute; its documentation is the tutorial.
//!
//! ```
//! use tracekit_runtime::{testing, with_active_span};
//!
//! let (_, spans) = testing::capture(|| {
//!     let tracer = tracekit_runtime::global();
//!     let request = tracer.span("request").start();
//!     let _scope = request.activate();
//!     with_active_span(|span| span.set_tag("http.response.status_code", 200));
//!     tracer.span("query").start(); // a child of "request"
//! });
//! assert_eq!(spans[0].name, "query");
//! assert_eq!(spans[0].parent_id, Some(spans[1].span_id));
//! ```

#![warn(missing_docs)]

mod clock;
pub mod context;
mod cut;
mod exit;
pub mod export;
mod future;
pub mod hooks;
mod ids;
mod in_place;
mod live;
mod parent;
pub mod propagation;
mod record;
pub mod sampler;
mod scope;
mod span;
mod tag;
pub mod testing;
mod text;
mod tracer;

#[doc(hidden)]
pub mod __private;

pub use context::{Baggage, Context, SpanContext, SpanId, TraceId, TraceState};
pub use exit::flush_at_exit;
pub use export::{BatchConfig, FlushError, TracerStats};
pub use future::{FutureExt, InSpan, WithContext};
pub use hooks::{Call, Hooks, Outcome};
pub use parent::AsParent;
pub use record::{Field, LogRecord, SpanKind, SpanRecord};
pub use sampler::Sampler;
pub use scope::{Scope, with_active_span};
pub use span::{Span, SpanBuilder, SpanRef};
pub use tag::{TRUNCATION_MARKER, TagValue, ToTag};
pub use text::{INLINE_TEXT_LEN, Text};
pub use tracer::{
    DEFAULT_MAX_TAG_LEN, DEFAULT_SHUTDOWN_TIMEOUT, InstallError, Tracer, TracerBuilder,
    TracerGuard, global, init, is_installed,
};
