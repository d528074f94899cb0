//! The span made last on this thread, kept for the enter that most often
//! follows (`let _entered = info_span!(..).entered()`, `#[instrument]`,
//! a future's first poll): that enter then finds its tracekit span here
//! instead of looking the `tracing` span up in the registry.

use std::cell::Cell;

use tracekit_runtime::SpanRef;

thread_local! {
    static MADE: Cell<Option<(u64, SpanRef)>> = const { Cell::new(None) };
}

/// Keeps `span`, the tracekit span of `tracing` span `id`, made now on this
/// thread, in place of the one kept before.
pub(crate) fn keep(id: u64, span: &SpanRef) {
    let kept = Some((id, span.clone()));
    // The one it replaces is dropped after the thread-local is left.
    let _ = MADE.try_with(|made| made.replace(kept));
}

/// The span kept for `tracing` span `id`, taken out, if it is still
/// recording: a span finished since (closed, perhaps on another thread)
/// gave its id up, and a span made later under the same id is another.
/// An unsampled span is never taken here: its enter looks it up. The span
/// kept for another id stays kept.
pub(crate) fn take(id: u64) -> Option<SpanRef> {
    MADE.try_with(|made| {
        let (kept_id, span) = made.take()?;
        if kept_id != id {
            made.set(Some((kept_id, span)));
            return None;
        }
        span.is_recording().then_some(span)
    })
    .ok()?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_span_kept_for_that_id_and_still_recording_is_taken() {
        tracekit_runtime::testing::capture(|| {
            let tracer = tracekit_runtime::global();
            let open = tracer.span("open").start();
            keep(7, &open);
            assert!(take(8).is_none(), "another id");
            assert_eq!(take(7).map(|span| span.span_id()), Some(open.span_id()));
            assert!(take(7).is_none(), "taken once");

            let finished = tracer.span("finished").start();
            keep(9, &finished);
            finished.finish();
            assert!(take(9).is_none(), "finished: its id may be another's now");

            let first = tracer.span("first").start();
            keep(10, &first);
            let later = tracer.span("later").start();
            keep(11, &later);
            assert!(take(10).is_none(), "replaced by the span made later");
            assert!(take(11).is_some());
        });
    }
}
