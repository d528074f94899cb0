//! The span start engine: how a span begins on this thread's stack, read
//! from its parent in place, sampled, given ids and a clock reading.

use std::borrow::Cow;
use std::sync::Arc;

use super::{LocalParent, Stack};
use crate::clock;
use crate::export::Pipeline;
use crate::extra::Extra;
use crate::identity::{SpanContext, SpanId, TraceState};
use crate::live::LiveSpan;
use crate::local;
use crate::record::SpanKind;
use crate::sampler::Sampler;
use crate::tag_set::TagSet;

/// What the engine needs of a tracer to start and finish spans, as plain
/// values: whether it records, its sampler, its pipeline. A tracer holds
/// one and lends it (`Tracer::starter`); the engine names no handle.
pub(crate) struct Starter {
    pub(crate) enabled: bool,
    pub(crate) sampler: Sampler,
    /// Shared with the spans that can outlive the tracer (see
    /// `SharedSpan`): the pipeline ends when the last of them is gone.
    pub(crate) pipeline: Arc<Pipeline>,
}

/// Where a new span takes its parent from (also what `#[traced]` passes).
#[doc(hidden)]
#[derive(Clone, Debug, Default)]
pub enum Parent {
    /// The span active on this thread or task, if any.
    #[default]
    Active,
    /// This context, or a new trace for `None` (`root`).
    Of(Option<SpanContext>),
}

/// The references `#[traced]` was given (`root`, `child_of`,
/// `follows_from`); passed by reference, so the common call without any
/// moves nothing large.
#[doc(hidden)]
#[derive(Default)]
pub struct References {
    /// Where the parent comes from.
    pub parent: Parent,
    /// A `FollowsFrom` reference.
    pub follows_from: Option<SpanContext>,
}

impl Parent {
    /// The parent context this names, looking at `stack` for the active one.
    pub(crate) fn resolve(self, stack: &Stack) -> Option<SpanContext> {
        match self {
            Parent::Active => stack.active_context(),
            Parent::Of(parent) => parent,
        }
    }
}

impl Starter {
    /// Starts a span under `parent` (already resolved; `None` for a root):
    /// draws its ids, asks the sampler, and starts its clock.
    #[inline]
    fn begin(
        &self,
        name: Cow<'static, str>,
        kind: SpanKind,
        parent: Option<SpanContext>,
        extra: impl FnOnce() -> Option<Box<Extra>>,
        start: Option<u64>,
        stack: &mut Stack,
    ) -> LiveSpan {
        // A parent without valid ids (baggage that came alone) starts a
        // new trace that carries its baggage.
        let (baggage, trace_state, parent) = match parent {
            Some(parent) if parent.is_valid() => {
                let ids = parent.clone();
                let (baggage, trace_state) = parent.into_inheritance();
                (baggage, trace_state, Some(ids))
            }
            Some(parent) => (parent.into_inheritance().0, TraceState::new(), None),
            None => Default::default(),
        };
        let (trace_id, parent_id, parent_is_remote, parent_sampled, random_trace_id) = match &parent
        {
            Some(parent) => (
                parent.trace_id(),
                Some(parent.span_id()),
                parent.is_remote(),
                Some(parent.is_sampled()),
                parent.has_random_trace_id(),
            ),
            // tracekit's trace ids are random.
            None => (stack.trace_id(), None, false, None, true),
        };
        let sampled = self.sampler.decide(parent_sampled, trace_id)
            || crate::observe::forces_sampling(trace_id);
        let span_id = stack.span_id();
        let extra = if sampled {
            if let Some(shared) = self.pipeline.shared() {
                stack.buffers.started(shared);
            }
            extra()
        } else {
            None
        };
        LiveSpan {
            trace_id,
            span_id,
            parent_id,
            name,
            baggage,
            trace_state,
            template: None,
            extra,
            kind,
            sampled,
            random_trace_id,
            recording: sampled,
            parent_is_remote,
            // Read last, so the span's time leaves out the tracer's own work.
            start: start.unwrap_or_else(|| clock::now_if(sampled)),
        }
    }

    /// Starts a span from a builder's settings, written into `live` (an
    /// emptied span, in the allocation it will live in), for a tracer that
    /// records (its callers ask `enabled` before they find `live` a home).
    /// `extra` holds the builder's tags, each already cut to the tracer's
    /// limit; unsampled, its box goes back to the pool; `template`, the
    /// tags it refers to (read only if it records). `parent` is left
    /// owning nothing (`Active`, or taken): a carried span's builder is
    /// then not dropped (see `SpanBuilder::start_carried`).
    #[allow(
        clippy::too_many_arguments,
        reason = "the settings of a builder, each moved once into its field"
    )]
    pub(crate) fn begin_built_into(
        &self,
        name: Cow<'static, str>,
        kind: SpanKind,
        parent: &mut Parent,
        template: Option<&'static TagSet>,
        extra: Option<Box<Extra>>,
        start: Option<u64>,
        stack: &mut Stack,
        live: &mut LiveSpan,
    ) {
        debug_assert!(self.enabled, "a disabled tracer starts no span");
        let mut extra = extra;
        // A child of a span of this process reads its parent in place,
        // without building the parent's context (baggage and trace state
        // cloned into it, then taken apart again). The parent is taken
        // only when named: the common `Active` is not moved at all.
        let local_parent = match parent {
            Parent::Active => stack.active_parent(),
            Parent::Of(_) => None,
        };
        match local_parent {
            Some(local_parent) => self.begin_built_under_into(
                local_parent,
                name,
                kind,
                template,
                || extra.take(),
                start,
                stack,
                live,
            ),
            None => {
                let parent = std::mem::take(parent).resolve(stack);
                *live = self.begin(name, kind, parent, || extra.take(), start, stack);
                live.template = template;
            }
        }
        if let Some(unused) = extra {
            // Not sampled: the box goes back to the pool, emptied.
            unused.emptied().give_back();
        }
    }

    /// Starts the span of a traced call on this thread's scope
    /// stack, where it is active until it finishes. Returns its entry id
    /// and whether it records, or `None` for no span: an active parent
    /// whose trace is not sampled and stays so (the parent then stays
    /// active, so everything below it stays unsampled too). The generated
    /// code has checked the cheap form of that case already (see
    /// `TracedCall::start`). `CARRIED`: the span of an async call, boxed
    /// from the start as it will travel with its future.
    #[inline(always)]
    pub(crate) fn start_traced<const CARRIED: bool>(
        &self,
        name: &'static str,
        kind: SpanKind,
        references: Option<&mut References>,
    ) -> Option<(u64, bool)> {
        local::with_thread(|stack| {
            // Samplers that follow the parent were answered by the flag.
            let answered = self.sampler.keeps_unsampled_children();
            match references {
                None if !answered && stack.active_stays_unsampled(&self.sampler) => None,
                None => self.push_child::<CARRIED>(stack, name, kind),
                Some(references) => self.push_traced::<CARRIED>(stack, name, kind, references),
            }
        })
    }

    /// The span of a traced sync call that is a sampled child of the span
    /// active on this thread (a sync call's or a shared one), on its
    /// shortest path; `None`
    /// for every other case, which [`start_traced`](Self::start_traced)
    /// then takes.
    #[inline(always)]
    pub(crate) fn start_sampled_child(&self, name: &'static str, kind: SpanKind) -> Option<u64> {
        if !self.enabled {
            return None;
        }
        local::with_plain_stack(
            #[inline(always)]
            |stack| stack.push_sampled_child(&self.sampler, self.pipeline.shared(), name, kind),
        )
    }

    /// The common traced call: a child of the active span, or a root. The
    /// parent's facts are read in place and the span is written straight
    /// into its stack slot; the clock is read last.
    #[inline(never)]
    fn push_child<const CARRIED: bool>(
        &self,
        stack: &mut Stack,
        name: &'static str,
        kind: SpanKind,
    ) -> Option<(u64, bool)> {
        if !self.enabled {
            return None;
        }
        let Some(parent) = stack.active_parent() else {
            let parent = stack.active_context();
            return Some(stack.push_local::<CARRIED>(|stack| {
                self.begin(Cow::Borrowed(name), kind, parent, || None, None, stack)
            }));
        };
        if CARRIED {
            return Some(stack.push_carried(|stack, live| {
                self.begin_under_into(parent, name, kind, stack, live);
            }));
        }
        Some(stack.push_local::<false>(|stack| self.begin_under(parent, name, kind, stack)))
    }

    /// Starts a child of `parent`, a span of this process, without going
    /// through a context: ids drawn, sampler asked, clock read last. Kept
    /// apart from [`begin`](Self::begin): merged into one path, the span is
    /// built on the stack and copied, and perf shows the copy stalling.
    #[inline(always)]
    fn begin_under(
        &self,
        parent: LocalParent,
        name: &'static str,
        kind: SpanKind,
        stack: &mut Stack,
    ) -> LiveSpan {
        self.begin_built_under(parent, Cow::Borrowed(name), kind, || None, None, stack)
    }

    /// [`begin_under`](Self::begin_under) for a builder's span: its name,
    /// its tags (`extra`, taken only if sampled) and its start time, if it
    /// was given one.
    #[inline(always)]
    fn begin_built_under(
        &self,
        parent: LocalParent,
        name: Cow<'static, str>,
        kind: SpanKind,
        extra: impl FnOnce() -> Option<Box<Extra>>,
        start: Option<u64>,
        stack: &mut Stack,
    ) -> LiveSpan {
        let (sampled, span_id) = self.draw_child(&parent, stack);
        LiveSpan {
            trace_id: parent.trace_id,
            span_id,
            parent_id: Some(parent.span_id),
            name,
            baggage: parent.baggage,
            trace_state: parent.trace_state,
            template: None,
            extra: if sampled { extra() } else { None },
            kind,
            sampled,
            random_trace_id: parent.random_trace_id,
            recording: sampled,
            parent_is_remote: false,
            // Read last, so the span's time leaves out the tracer's work.
            start: start.unwrap_or_else(|| clock::now_if(sampled)),
        }
    }

    /// What a child of `parent` decides before it is built: whether it is
    /// sampled (then counted as started) and its id.
    #[inline(always)]
    fn draw_child(&self, parent: &LocalParent, stack: &mut Stack) -> (bool, SpanId) {
        let sampled = self.sampler.decide(Some(parent.sampled), parent.trace_id)
            || crate::observe::forces_sampling(parent.trace_id);
        let span_id = stack.span_id();
        if sampled && let Some(shared) = self.pipeline.shared() {
            stack.buffers.started(shared);
        }
        (sampled, span_id)
    }

    /// [`begin_under`](Self::begin_under), written field by field into
    /// `live` (an emptied span in a reused box): an async call's span is
    /// then stored where it lives, not built on the stack and copied (the
    /// copy, right after the pieces were written, stalls store forwarding).
    #[inline(always)]
    fn begin_under_into(
        &self,
        parent: LocalParent,
        name: &'static str,
        kind: SpanKind,
        stack: &mut Stack,
        live: &mut LiveSpan,
    ) {
        self.begin_built_under_into(
            parent,
            Cow::Borrowed(name),
            kind,
            None,
            || None,
            None,
            stack,
            live,
        );
    }

    /// [`begin_built_under`](Self::begin_built_under), written field by
    /// field into `live`, as [`begin_under_into`](Self::begin_under_into)
    /// does.
    #[inline(always)]
    #[allow(
        clippy::too_many_arguments,
        reason = "the settings of a builder, each moved once into its field"
    )]
    fn begin_built_under_into(
        &self,
        parent: LocalParent,
        name: Cow<'static, str>,
        kind: SpanKind,
        template: Option<&'static TagSet>,
        extra: impl FnOnce() -> Option<Box<Extra>>,
        start_at: Option<u64>,
        stack: &mut Stack,
        live: &mut LiveSpan,
    ) {
        // Every field named: one added later must be written here too.
        let LiveSpan {
            trace_id,
            span_id,
            parent_id,
            start,
            name: span_name,
            baggage,
            trace_state,
            template: span_template,
            extra: span_extra,
            kind: span_kind,
            sampled,
            random_trace_id,
            recording,
            parent_is_remote,
        } = live;
        let (sampling, id) = self.draw_child(&parent, stack);
        *span_id = id;
        *trace_id = parent.trace_id;
        *parent_id = Some(parent.span_id);
        *span_name = name;
        *baggage = parent.baggage;
        *trace_state = parent.trace_state;
        *span_template = template;
        *span_extra = if sampling { extra() } else { None };
        *span_kind = kind;
        *sampled = sampling;
        *random_trace_id = parent.random_trace_id;
        *recording = sampling;
        *parent_is_remote = false;
        // Read last, so the span's time leaves out the tracer's work.
        *start = start_at.unwrap_or_else(|| clock::now_if(sampling));
    }

    /// A traced call with `root`, `child_of` or `follows_from`.
    #[cold]
    #[inline(never)]
    fn push_traced<const CARRIED: bool>(
        &self,
        stack: &mut Stack,
        name: &'static str,
        kind: SpanKind,
        references: &mut References,
    ) -> Option<(u64, bool)> {
        if !self.enabled {
            return None;
        }
        let parent = std::mem::take(&mut references.parent);
        let follows_from = references.follows_from.take();
        if matches!(parent, Parent::Active) && stack.active_stays_unsampled(&self.sampler) {
            return None;
        }
        let parent = parent.resolve(stack);
        let extra = || {
            follows_from.map(|cause| {
                let mut extra = Extra::fresh();
                extra.push_follows_from(cause);
                extra
            })
        };
        Some(stack.push_local::<CARRIED>(|stack| {
            self.begin(Cow::Borrowed(name), kind, parent, extra, None, stack)
        }))
    }

    /// Finishes the local span `id` of this thread at `end` and buffers it
    /// for export.
    #[inline]
    pub(crate) fn finish_local(&self, id: u64, end: u64) {
        self.finish_local_inline(id, end);
    }

    /// [`finish_local`](Self::finish_local) with its short path inlined
    /// into the caller, for the one frame a whole traced call runs in.
    #[inline(always)]
    pub(crate) fn finish_local_inline(&self, id: u64, end: u64) {
        let pipeline = self.pipeline.shared();
        if let Some(shared) = pipeline
            && local::with_stack_as_it_is(
                #[inline(always)]
                |stack| stack.finish_top_recording(id, end, shared),
            )
            .is_some()
        {
            return;
        }
        self.finish_local_general(id, end);
    }

    /// Every case but a recording sync call's span on top.
    #[inline(never)]
    fn finish_local_general(&self, id: u64, end: u64) {
        let pipeline = self.pipeline.shared();
        local::with_thread(|stack| stack.finish_local(id, end, pipeline));
    }
}
