//! Observers of the tracer's work that live above the engine (test
//! captures): they register here, and the engine shows them what finishes
//! without depending on them. While nothing watches, one relaxed load is
//! all a span pays.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::export::raw::RawSpan;
use crate::identity::TraceId;

/// What an observer does, given as plain functions.
pub(crate) struct Observer {
    /// Sees a span that finished (the span goes on to the exporters).
    pub(crate) finished: fn(&RawSpan),
    /// Whether spans of `trace_id` are recorded whatever the sampler says.
    pub(crate) forces_sampling: fn(TraceId) -> bool,
}

static OBSERVER: OnceLock<Observer> = OnceLock::new();

/// How many observations are open (captures, for instance).
static WATCHING: AtomicUsize = AtomicUsize::new(0);

/// Registers the observer; the first one registered stays.
pub(crate) fn register(observer: impl FnOnce() -> Observer) {
    OBSERVER.get_or_init(observer);
}

/// An observation opens: finished spans are shown from now on.
pub(crate) fn start_watching() {
    WATCHING.fetch_add(1, Ordering::AcqRel);
}

/// An observation closes.
pub(crate) fn stop_watching() {
    WATCHING.fetch_sub(1, Ordering::AcqRel);
}

/// Whether an observation is open.
#[inline(always)]
pub(crate) fn watching() -> bool {
    WATCHING.load(Ordering::Relaxed) != 0
}

/// Shows a finished span to the observer, if one watches.
#[inline]
pub(crate) fn show(span: &RawSpan) {
    if watching() {
        show_now(span);
    }
}

#[cold]
fn show_now(span: &RawSpan) {
    if let Some(observer) = OBSERVER.get() {
        (observer.finished)(span);
    }
}

/// Whether an observer wants `trace_id` recorded whatever the sampler
/// says. Asked only when the sampler declined, so sampled spans never pay
/// for it.
#[inline]
pub(crate) fn forces_sampling(trace_id: TraceId) -> bool {
    watching() && forced(trace_id)
}

#[cold]
fn forced(trace_id: TraceId) -> bool {
    OBSERVER
        .get()
        .is_some_and(|observer| (observer.forces_sampling)(trace_id))
}
