//! The per-thread engine, and nothing else reaches inside it: each thread's
//! scope stack ([`stack`]), the thread-locals and the ways in ([`thread`]),
//! how a span starts on the stack ([`start`]), the async loan ([`lend`](mod@lend)),
//! the thread's lanes to the export pipelines ([`lanes`]), its pool of tag
//! boxes ([`extras`]) and its id generator ([`ids`]); and the state of a
//! span shared across threads ([`shared`]), which the stack holds while
//! such a span is active.
//!
//! The rules it keeps:
//!
//! - **One thread-local for the engine.** `STACK` holds the scope stack,
//!   the lanes, the id generator and the spare span allocations (async
//!   boxes, shared spans), so a span
//!   visits one thread-local to start and one to finish. Beside it, plain
//!   cells with no destructor ([`cells`]: the "top is unsampled" flag,
//!   `LENT` and `LENT_ID`, the next entry id of the ids drawn outside a
//!   visit; the stack draws its own) and `TEARDOWN`.
//! - **Scopes close in any order.** An entry is removed by its id, wherever
//!   it sits; ids are unique in the process, so a handle used on the wrong
//!   thread finds nothing.
//! - **A lent span has one owner.** While `LENT` holds it, the cell owns
//!   the box. Pushing it, taking it back, finishing it or dropping its
//!   `Lent` clears the cell first. Pushed, it takes the entry id its owner
//!   drew once for it, by which the loan finds it (an id names one span;
//!   boxes are reused); a loan that never ended is finished where it is
//!   by `Lent`'s drop.
//! - **Teardown.** Once `STACK` is gone, visits go to a stand-in stack kept
//!   in `TEARDOWN` until no entry is left on it.
//! - **No user code runs while the stack is borrowed**: hooks, formatters
//!   and bodies run between visits.

mod cells;
pub(crate) mod extras;
pub(crate) mod ids;
pub(crate) mod lanes;
mod lend;
mod shared;
mod stack;
mod start;
mod thread;

pub(crate) use cells::{next_entry_id, top_is_unsampled};
pub(crate) use lend::{Lent, Sink, lend};
pub(crate) use shared::{LocalParent, SharedRef};
pub(crate) use stack::{Active, Stack};
pub(crate) use start::Starter;
pub use start::{Parent, References};
pub(crate) use thread::{
    ActiveSpan, active_span, enter, enter_span, finish_carried, has_top, leave, new_span_id,
    new_trace_id, take_carried, top, with_local, with_plain_stack, with_stack_as_it_is,
    with_thread,
};

#[cfg(test)]
mod tests {
    use super::cells::LENT;
    use super::shared::SharedSpan;
    use super::thread::with_stack;
    use super::*;
    use crate::active::with_active_span;
    use crate::identity::SpanContext;
    use crate::identity::{SpanId, TraceId};
    use crate::live::LiveSpan;
    use std::cell::Cell;
    use std::sync::Arc;

    /// The loans of these tests go to no pipeline.
    struct NoSink;

    impl Sink for NoSink {
        fn pipeline() -> Option<&'static Arc<crate::export::Shared>> {
            None
        }
    }

    fn context(sampled: bool) -> Active {
        Active::Context(SpanContext::new(
            TraceId::from_u128(1),
            SpanId::new(2).expect("non-zero"),
            sampled,
        ))
    }

    fn sampled_live() -> Box<LiveSpan> {
        let mut live = Box::new(LiveSpan::NOOP);
        live.trace_id = TraceId::from_u128(9);
        live.sampled = true;
        live
    }

    #[test]
    fn entries_removed_out_of_order_leave_the_right_top_and_flag() {
        let mut stack = Stack::new();
        let sampled = stack.push(context(true));
        let unsampled = stack.push(context(false));
        assert!(top_is_unsampled());
        let nothing = stack.push(Active::Nothing);
        assert!(!top_is_unsampled());

        let position = stack.find(unsampled).expect("still there");
        stack.remove(position);
        assert_eq!(stack.entries.len(), 2);
        assert_eq!(stack.entries.last().map(|e| e.id), Some(nothing));
        let position = stack.find(nothing).expect("still there");
        stack.remove(position);
        assert_eq!(stack.entries.last().map(|e| e.id), Some(sampled));
        assert!(!top_is_unsampled(), "the flag follows the new top");
        assert_eq!(stack.find(unsampled), None, "an entry goes once");
    }

    #[test]
    fn shared_spans_leave_the_stack_in_order_or_not_with_their_references() {
        let depth = || with_stack(|stack| Some(stack.entries.len())).unwrap_or(0);
        let tracer = crate::Tracer::builder().build();
        let outer = tracer.span("outer").ignore_active().start();
        let inner = tracer.span("inner").ignore_active().start();
        let before = depth();
        for in_order in [true, false] {
            let first = outer.activate();
            let second = inner.activate();
            assert_eq!(depth(), before + 2);
            if in_order {
                drop(second);
                assert_eq!(depth(), before + 1);
                drop(first);
            } else {
                // The lower one leaves from under the top.
                drop(first);
                assert_eq!(depth(), before + 1);
                assert_eq!(
                    crate::context::current()
                        .span_context()
                        .map(|c| c.span_id()),
                    Some(inner.context().span_id())
                );
                drop(second);
            }
            assert_eq!(depth(), before);
        }
        // Each span's last reference is its own: it finishes once, here.
        drop((outer, inner));
    }

    /// The address of `span`'s state, read off the stack while it is
    /// active.
    fn address_of(span: &crate::Span) -> Option<*const SharedSpan> {
        let _scope = span.activate();
        with_stack(|stack| match &stack.entries.last()?.active {
            Active::Span(shared) => Some(shared.as_ptr()),
            _ => None,
        })
    }

    #[test]
    fn a_finished_shared_span_lends_its_allocation_to_the_next_one() {
        let spares = || with_stack(|stack| Some(stack.spare_shared.len())).unwrap_or(0);
        let memory = crate::export::Memory::new();
        let tracer = crate::Tracer::builder().exporter(memory.clone()).build();
        let pipeline_references = Arc::strong_count(tracer.pipeline_handle());

        let first = tracer.span("first").tag("k", 1).start();
        let first_at = address_of(&first).expect("shared");
        assert_eq!(
            Arc::strong_count(tracer.pipeline_handle()),
            pipeline_references + 1
        );
        drop(first);
        // Kept, and holding no pipeline.
        assert_eq!(
            Arc::strong_count(tracer.pipeline_handle()),
            pipeline_references
        );
        let kept = spares();
        assert!(kept >= 1);
        let second = tracer.span("second").start();
        assert_eq!(address_of(&second), Some(first_at));
        assert_eq!(spares(), kept - 1);

        // Still referenced (here by its scope and a view) when it
        // finishes: not kept, and the view tells it finished.
        let third = tracer.span("third").start();
        let view: crate::SpanRef = (*third).clone();
        let scope = third.activate();
        assert!(view.is_recording());
        drop(third);
        assert!(!view.is_recording());
        drop((scope, view));
        assert_eq!(spares(), kept - 1);
        drop(second);
        assert_eq!(spares(), kept);

        // Active on another thread, which tags it and lets go of it: its
        // finish here owns it again, and sees the tag.
        let fourth = tracer.span("fourth").start();
        std::thread::scope(|threads| {
            threads.spawn(|| {
                let _scope = fourth.activate();
                crate::active::with_active_span(|span| span.set_tag("elsewhere", true));
            });
        });
        drop(fourth);
        assert_eq!(spares(), kept);

        tracer.flush().expect("flushed");
        let mut spans = memory.spans();
        spans.sort_by(|a, b| a.name.cmp(&b.name));
        let names: Vec<_> = spans.iter().map(|span| span.name.as_ref()).collect();
        assert_eq!(names, ["first", "fourth", "second", "third"]);
        assert_eq!(spans[0].tag("k").and_then(|v| v.as_i64()), Some(1));
        assert_eq!(
            spans[1].tag("elsewhere").and_then(|v| v.as_bool()),
            Some(true)
        );
        assert!(spans[2].tags.is_empty(), "nothing of the first is left");

        // An unsampled span is emptied when kept: its baggage goes.
        let unsampled = crate::Tracer::builder()
            .sampler(crate::sampler::Sampler::Never)
            .build();
        let span = unsampled.span("unsampled").start();
        span.set_baggage_item("user", "ada");
        assert_eq!(span.baggage_item("user").as_deref(), Some("ada"));
        let at = address_of(&span).expect("shared");
        drop(span);
        let next = unsampled.span("next").start();
        assert_eq!(address_of(&next), Some(at));
        assert_eq!(next.baggage_item("user"), None);
    }

    #[test]
    fn the_short_paths_take_only_their_own_case_and_change_nothing_otherwise() {
        use crate::record::SpanKind;
        use crate::sampler::Sampler;

        let mut stack = Stack::new();
        let always = Sampler::Always;
        // An empty stack, and a context on top: the general path's cases.
        assert!(
            stack
                .push_sampled_child(&always, None, "c", SpanKind::Internal)
                .is_none()
        );
        stack.push(context(true));
        assert!(
            stack
                .push_sampled_child(&always, None, "c", SpanKind::Internal)
                .is_none()
        );
        // A sampled local span on top: its child is pushed under it.
        let parent = stack.push(Active::Local(*sampled_live()));
        stack.entries.reserve(1);
        let child = stack
            .push_sampled_child(&always, None, "c", SpanKind::Internal)
            .expect("the common case");
        let live = stack
            .entries
            .last()
            .and_then(|e| e.active.live())
            .expect("live");
        assert_eq!(live.trace_id, TraceId::from_u128(9));
        assert!(live.sampled && live.recording);
        // A sampler that declines: nothing pushed, nothing drawn.
        let depth = stack.entries.len();
        assert!(
            stack
                .push_sampled_child(&Sampler::Never, None, "c", SpanKind::Internal)
                .is_none()
        );
        assert_eq!(stack.entries.len(), depth);
        // Finishing on the short path: only the top's id, only recording.
        let shared = crate::Tracer::builder()
            .exporter(crate::export::Memory::new())
            .build()
            .pipeline()
            .cloned()
            .expect("a pipeline");
        assert!(stack.finish_top_recording(parent, 1, &shared).is_none());
        assert_eq!(stack.entries.len(), depth, "the parent is not on top");
        assert!(stack.finish_top_recording(child, 1, &shared).is_some());
        assert_eq!(stack.entries.last().map(|e| e.id), Some(parent));
        assert!(stack.finish_top_recording(child, 1, &shared).is_none());
    }

    #[test]
    fn the_short_paths_reach_the_threads_stack_and_deliver_the_span() {
        use crate::record::SpanKind;

        let memory = crate::export::Memory::new();
        let tracer = crate::Tracer::builder().exporter(memory.clone()).build();
        let starter = tracer.starter();
        // Under a context the short start declines; under a local span it
        // pushes on this thread's stack, and the short finish takes it off.
        let context = with_thread(|stack| stack.push(context(true)));
        assert_eq!(starter.start_sampled_child("c", SpanKind::Internal), None);
        let parent = with_thread(|stack| stack.push(Active::Local(*sampled_live())));
        let depth = with_stack(|stack| Some(stack.entries.len()));
        let child = starter
            .start_sampled_child("c", SpanKind::Client)
            .expect("the common case");
        assert_eq!(with_stack(|stack| stack.find(child)), depth);
        starter.finish_local_inline(child, crate::clock::now());
        assert_eq!(with_stack(|stack| Some(stack.entries.len())), depth);
        tracer.flush().expect("flushed");
        let spans = memory.spans();
        assert_eq!(spans.len(), 1);
        assert_eq!(
            (spans[0].name.as_ref(), spans[0].kind),
            ("c", SpanKind::Client)
        );
        assert_eq!(spans[0].trace_id, TraceId::from_u128(9));
        for id in [parent, context] {
            with_thread(|stack| stack.finish_local(id, 0, None));
        }
    }

    #[test]
    fn a_lent_span_comes_back_however_the_poll_ends() {
        // Never pushed: the same box comes back from the loan itself.
        let live = sampled_live();
        let raw: *const LiveSpan = &*live;
        let back = lend::<NoSink>(live, next_entry_id())
            .ok()
            .expect("lent")
            .take_back()
            .expect("back");
        assert!(std::ptr::eq(&*back, raw));
        assert!(LENT.with(Cell::get).is_null());

        // Pushed because something read the stack: it comes back off it.
        let depth = with_stack(|stack| Some(stack.entries.len())).unwrap_or(0);
        let lent = lend::<NoSink>(sampled_live(), next_entry_id())
            .ok()
            .expect("lent");
        assert!(with_active_span(|_| ()).is_some(), "active during the poll");
        assert_eq!(
            with_stack(|stack| Some(stack.entries.len())),
            Some(depth + 1),
            "reading the stack pushed it"
        );
        assert!(lent.take_back().is_some());
        assert_eq!(with_stack(|stack| Some(stack.entries.len())), Some(depth));
        assert!(LENT.with(Cell::get).is_null());

        // Settled for the endings that name it on the stack.
        let lent = lend::<NoSink>(sampled_live(), next_entry_id())
            .ok()
            .expect("lent");
        let id = lent.settle().ok().expect("settled");
        assert!(with_stack(|stack| stack.find(id)).is_some());
        with_thread(|stack| stack.finish_local(id, 0, None));
        assert_eq!(with_stack(|stack| Some(stack.entries.len())), Some(depth));

        // A loan dropped without an ending (a panic on the way) is finished
        // where it is, and the cell is clear again.
        drop(
            lend::<NoSink>(sampled_live(), next_entry_id())
                .ok()
                .expect("lent"),
        );
        assert!(LENT.with(Cell::get).is_null());
        assert_eq!(with_stack(|stack| Some(stack.entries.len())), Some(depth));
    }
}
