//! Reads of what is active on this thread: the active span as a handle
//! (`with_active_span`), and the common reads in flat form.

use crate::identity::{SpanId, TraceId};
use crate::local;
use crate::scope::current;
use crate::span::SpanRef;

/// Runs `f` on the active span, if there is one and it lives in this
/// process; returns what `f` returned. For the common reads, the flat
/// forms [`baggage_item`], [`trace_id`] and [`span_id`] of
/// [`context`](crate::context) answer without the nested `Option`.
///
/// ```
/// use tracekit_runtime::{testing, with_active_span};
///
/// let (_, spans) = testing::capture(|| {
///     let span = tracekit_runtime::global().span("request").start();
///     let _scope = span.activate();
///     with_active_span(|s| s.set_tag("retries", 2));
/// });
/// assert_eq!(spans[0].tag("retries").and_then(|v| v.as_i64()), Some(2));
/// ```
pub fn with_active_span<R>(f: impl FnOnce(&SpanRef) -> R) -> Option<R> {
    // Only a handle is taken, so `f` may start and activate spans of its own.
    let handle = SpanRef::active(local::active_span()?);
    Some(f(&handle))
}

/// The value of the baggage item `key` of what is active now (the active
/// span's own or inherited baggage, or a carried context's); `None` when
/// nothing is active or the item is absent.
///
/// ```
/// use tracekit_runtime::{context, testing};
///
/// assert_eq!(context::baggage_item("tenant"), None);
/// testing::capture(|| {
///     let span = tracekit_runtime::global().span("request").start();
///     span.set_baggage_item("tenant", "acme");
///     let _scope = span.activate();
///     assert_eq!(context::baggage_item("tenant").as_deref(), Some("acme"));
/// });
/// ```
pub fn baggage_item(key: &str) -> Option<String> {
    // An active span's context carries its baggage as it is now.
    current()
        .span_context()?
        .baggage()
        .get(key)
        .map(str::to_owned)
}

/// The trace id of what is active now; `None` when nothing is, or only
/// baggage without ids is. What a log line is tagged with.
///
/// ```
/// use tracekit_runtime::{context, testing};
///
/// assert_eq!(context::trace_id(), None);
/// testing::capture(|| {
///     let span = tracekit_runtime::global().span("request").start();
///     let _scope = span.activate();
///     assert_eq!(context::trace_id(), Some(span.trace_id()));
///     assert_eq!(context::span_id(), Some(span.span_id()));
/// });
/// ```
pub fn trace_id() -> Option<TraceId> {
    let context = current().span_context()?;
    context.is_valid().then(|| context.trace_id())
}

/// The span id of what is active now (see [`trace_id`]).
pub fn span_id() -> Option<SpanId> {
    let context = current().span_context()?;
    context.is_valid().then(|| context.span_id())
}
