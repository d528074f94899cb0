//! The scope stack of one thread: its entries (what each makes active),
//! and the thread's other state that a span visits with it: its lanes to
//! the export pipelines, its id generator, its spare async boxes.

use std::borrow::Cow;
use std::cell::Cell;
use std::sync::Arc;

use super::cells::{LENT, LENT_ID, new_block, set_top_is_unsampled};
use super::lanes::Buffers;
use super::shared::{LocalParent, SharedRef, SpareShared};
use crate::export::Shared;
use crate::identity::{SpanContext, SpanId, TraceId};
use crate::live::LiveSpan;
use crate::record::SpanKind;
use crate::sampler::Sampler;

/// What an entry of the stack makes active.
#[repr(u8)]
pub(crate) enum Active {
    /// A span whose state is shared (it may be active on several threads).
    Span(SharedRef),
    /// The span of a traced synchronous call, kept here until it finishes.
    Local(LiveSpan),
    /// The span of a traced async call, from its start until its future
    /// takes it, and then during a poll that needed it here (see [`lend`](fn@super::lend)):
    /// boxed, as it moves in and out (a pointer moves, not the state).
    /// `None` once taken back, for the moment before the entry goes.
    Carried(Option<Box<LiveSpan>>),
    /// Only a context: a remote parent, or a span that lives elsewhere.
    Context(SpanContext),
    /// Explicitly nothing: spans started under it are roots.
    Nothing,
}

impl Active {
    /// The state of a span that lives in this entry.
    #[inline(always)]
    pub(super) fn live(&self) -> Option<&LiveSpan> {
        match self {
            Active::Local(live) => Some(live),
            Active::Carried(live) => live.as_deref(),
            _ => None,
        }
    }

    #[inline(always)]
    pub(super) fn live_mut(&mut self) -> Option<&mut LiveSpan> {
        match self {
            Active::Local(live) => Some(live),
            Active::Carried(live) => live.as_deref_mut(),
            _ => None,
        }
    }

    /// Whether this entry is a parent whose trace is not sampled.
    #[inline]
    fn is_unsampled_parent(&self) -> bool {
        self.sampling().is_some_and(|(_, sampled)| !sampled)
    }

    /// The trace and sampled flag a child of this entry would see.
    #[inline]
    fn sampling(&self) -> Option<(TraceId, bool)> {
        match self {
            Active::Local(_) | Active::Carried(_) => {
                self.live().map(|live| (live.trace_id, live.sampled))
            }
            Active::Span(span) => Some((span.trace_id(), span.is_sampled())),
            // A context without ids (baggage alone) is no parent to follow.
            Active::Context(context) if !context.is_valid() => None,
            Active::Context(context) => Some((context.trace_id(), context.is_sampled())),
            Active::Nothing => None,
        }
    }

    /// Whether [`span_context`](Self::span_context) is `Some`, without
    /// copying it.
    pub(crate) fn has_context(&self) -> bool {
        match self {
            Active::Carried(live) => live.is_some(),
            Active::Nothing => false,
            Active::Span(_) | Active::Local(_) | Active::Context(_) => true,
        }
    }

    pub(crate) fn span_context(&self) -> Option<SpanContext> {
        match self {
            Active::Span(span) => Some(span.context()),
            Active::Local(_) | Active::Carried(_) => self.live().map(LiveSpan::context),
            Active::Context(context) => Some(context.clone()),
            Active::Nothing => None,
        }
    }

    /// What another thread or task may carry: a local span becomes its
    /// context, since its state stays on this thread (or with its future).
    pub(crate) fn portable(&self) -> Active {
        match self {
            Active::Span(span) => Active::Span(span.clone()),
            Active::Local(_) | Active::Carried(_) => self
                .live()
                .map_or(Active::Nothing, |live| Active::Context(live.context())),
            Active::Context(context) => Active::Context(context.clone()),
            Active::Nothing => Active::Nothing,
        }
    }
}

pub(super) struct Entry {
    pub(super) id: u64,
    pub(super) active: Active,
    /// Whether `active` is a parent whose trace is not sampled, decided
    /// once at the push (a span's sampling never changes): the flag
    /// `top_is_unsampled` is set from it when the entry becomes the top
    /// again, without looking inside `active`.
    unsampled_parent: bool,
}

/// Everything a thread keeps for tracing, in one thread-local so a span
/// visits it once to start and once to finish: the scope stack, the
/// buffers of finished spans, and the id generator.
pub(crate) struct Stack {
    pub(super) entries: Vec<Entry>,
    /// The id generator's state (0: not seeded yet).
    rng: u64,
    /// The next entry id (0: a new block is needed); a field here, not a
    /// thread-local of its own, as every push visits the stack anyway.
    next_entry: u64,
    pub(crate) buffers: Buffers,
    /// Boxes of finished async spans, kept for reuse.
    #[allow(
        clippy::vec_box,
        reason = "a box moves whole between a future and this pool, never its contents"
    )]
    spare_live: Vec<Box<LiveSpan>>,
    /// Allocations of finished shared spans, kept for reuse.
    pub(crate) spare_shared: SpareShared,
}

impl Stack {
    pub(super) const fn new() -> Stack {
        Stack {
            entries: Vec::new(),
            rng: 0,
            next_entry: 0,
            buffers: Buffers::new(),
            spare_live: Vec::new(),
            spare_shared: SpareShared::new(),
        }
    }

    /// Pushes what `build` returns; returns the new entry's id.
    #[inline(always)]
    pub(super) fn push_with(&mut self, build: impl FnOnce(&mut Stack) -> Active) -> u64 {
        let id = self.entry_id();
        self.push_as(id, build)
    }

    /// Seeds the id generator and takes a block of entry ids, as needed:
    /// the short path's draws then call nothing.
    #[cold]
    #[inline(never)]
    fn prepare_draws(&mut self) {
        if self.rng == 0 {
            self.rng = crate::local::ids::seed();
        }
        if self.next_entry & 0xffff_ffff == 0 {
            self.next_entry = new_block();
        }
    }

    /// A new entry id, from this stack's block (see `next_entry_id`).
    #[inline(always)]
    fn entry_id(&mut self) -> u64 {
        if self.next_entry & 0xffff_ffff == 0 {
            self.next_entry = new_block();
        }
        let id = self.next_entry;
        self.next_entry += 1;
        id
    }

    /// Pushes what `build` returns as the entry `id`.
    #[inline(always)]
    fn push_as(&mut self, id: u64, build: impl FnOnce(&mut Stack) -> Active) -> u64 {
        let active = build(self);
        let unsampled_parent = active.is_unsampled_parent();
        set_top_is_unsampled(unsampled_parent);
        crate::in_place::push_in_place(
            &mut self.entries,
            Entry {
                id,
                active,
                unsampled_parent,
            },
        );
        id
    }

    #[inline]
    pub(crate) fn push(&mut self, active: Active) -> u64 {
        self.push_with(|_| active)
    }

    /// Pushes the local span `start` builds (it may draw ids from the
    /// stack); returns its entry id and whether it is sampled.
    /// `CARRIED`: boxed, to travel with an async call's future.
    #[inline(always)]
    pub(crate) fn push_local<const CARRIED: bool>(
        &mut self,
        start: impl FnOnce(&mut Stack) -> LiveSpan,
    ) -> (u64, bool) {
        if CARRIED {
            return self.push_carried(|stack, live| *live = start(stack));
        }
        let mut sampled = false;
        let id = self.push_with(|stack| {
            let live = start(stack);
            sampled = live.sampled;
            Active::Local(live)
        });
        (id, sampled)
    }

    /// The common traced call on its shortest path: a sampled child of the
    /// span on top (a sync call's, or a shared one), read and written in
    /// place; returns its entry id. `None`, with nothing changed, for
    /// anything else (another kind of top, a child the sampler declines, a
    /// full vector): the general path takes those.
    #[inline(always)]
    pub(crate) fn push_sampled_child(
        &mut self,
        sampler: &Sampler,
        pipeline: Option<&Arc<Shared>>,
        name: &'static str,
        kind: SpanKind,
    ) -> Option<u64> {
        let len = self.entries.len();
        if len == self.entries.capacity() {
            return None;
        }
        // The draws below then call nothing: values stay in registers.
        // (Seeding the generator with each block of entry ids, so that one
        // check would do here, put a call in `entry_id`, and every other
        // push then built its entry on the stack and copied it.)
        if self.rng == 0 || self.next_entry & 0xffff_ffff == 0 {
            self.prepare_draws();
        }
        // The entry is matched once; the pair below is cheaper to match.
        let parent = match &self.entries.last()?.active {
            Active::Local(parent) => Ok(parent),
            Active::Span(parent) => Err(&**parent),
            _ => return None,
        };
        let (trace_id, parent_sampled) = match parent {
            Ok(local) => (local.trace_id, local.sampled),
            Err(shared) => (shared.trace_id, shared.sampled),
        };
        // A child the sampler declines (which a test capture may force)
        // takes the general path.
        if !sampler.decide_child(parent_sampled, trace_id) {
            return None;
        }
        let (parent_id, random_trace_id, baggage, trace_state) = match parent {
            Ok(local) => (
                local.span_id,
                local.random_trace_id,
                local.baggage.clone(),
                local.trace_state.clone(),
            ),
            Err(shared) => (
                shared.span_id,
                shared.random_trace_id,
                shared.baggage(),
                shared.trace_state.clone(),
            ),
        };
        let span_id = self.draw_span_id();
        if let Some(shared) = pipeline {
            self.buffers.started(shared);
        }
        let id = self.next_entry;
        self.next_entry += 1;
        set_top_is_unsampled(false);
        let entry = Entry {
            id,
            active: Active::Local(LiveSpan {
                trace_id,
                span_id,
                parent_id: Some(parent_id),
                name: Cow::Borrowed(name),
                baggage,
                trace_state,
                template: None,
                extra: None,
                kind,
                sampled: true,
                random_trace_id,
                recording: true,
                parent_is_remote: false,
                // Read last, so the span's time leaves out the tracer's work.
                start: crate::clock::now(),
            }),
            unsampled_parent: false,
        };
        // SAFETY: `len < capacity`, checked above: the slot is allocated
        // and holds nothing; it is written before the length takes it in.
        unsafe {
            self.entries.as_mut_ptr().add(len).write(entry);
            self.entries.set_len(len + 1);
        }
        Some(id)
    }

    /// Pushes an async call's span, which `start` writes into a box (one of
    /// an earlier span when there is one); returns its entry id and
    /// whether it is sampled.
    #[inline(always)]
    pub(crate) fn push_carried(
        &mut self,
        start: impl FnOnce(&mut Stack, &mut LiveSpan),
    ) -> (u64, bool) {
        let mut live = self.spare_box();
        start(self, &mut live);
        let sampled = live.sampled;
        (self.push(Active::Carried(Some(live))), sampled)
    }

    /// A box holding an emptied span, to start one in: one of an earlier
    /// span when there is one.
    #[inline(always)]
    pub(crate) fn spare_box(&mut self) -> Box<LiveSpan> {
        match self.spare_live.pop() {
            Some(spare) => spare,
            None => Box::new(LiveSpan::NOOP),
        }
    }

    #[inline]
    pub(super) fn find(&mut self, id: u64) -> Option<usize> {
        self.entries.iter().rposition(|entry| entry.id == id)
    }

    /// Pushes the span a poll lent, if there is one: something is about to
    /// read or change the stack, and that span is the top.
    #[inline(always)]
    pub(super) fn push_lent(&mut self) {
        if !LENT.with(Cell::get).is_null() {
            self.push_lent_now();
        }
    }

    #[cold]
    #[inline(never)]
    pub(super) fn push_lent_now(&mut self) {
        let raw = LENT.with(|lent| lent.replace(std::ptr::null_mut()));
        // SAFETY: `LENT` owned the box `lend` leaked; it was just cleared,
        // so the box has one owner again: the entry.
        let live = unsafe { Box::from_raw(raw) };
        // Under the id its loan drew, by which the loan finds it.
        self.push_as(LENT_ID.with(Cell::get), |_| Active::Carried(Some(live)));
    }

    /// Keeps the box of a finished async span for the next one, its span
    /// emptied (by [`LiveSpan::finish_leaving`], or here).
    pub(super) fn keep_spare_live(&mut self, mut spare: Box<LiveSpan>, emptied: bool) {
        if self.spare_live.len() < MAX_SPARE_LIVE {
            if !emptied {
                *spare = LiveSpan::NOOP;
            }
            self.spare_live.push(spare);
        }
    }

    /// Takes the carried span at `position` off the stack, whole; `None`
    /// (and the stack unchanged) if that entry is something else.
    #[inline(always)]
    pub(super) fn remove_carried(&mut self, position: usize) -> Option<Box<LiveSpan>> {
        let Active::Carried(live) = &mut self.entries[position].active else {
            return None;
        };
        // Taken out in place: only the box pointer is read.
        let live = live.take();
        if live.is_some() && position + 1 == self.entries.len() {
            self.pop_emptied();
        } else {
            self.discard(position);
        }
        live
    }

    /// Takes off the top entry, which owns nothing any more (its span was
    /// emptied by [`LiveSpan::finish_leaving`], or its box taken): it is
    /// forgotten, so no drop glue runs.
    #[inline(always)]
    pub(super) fn pop_emptied(&mut self) {
        std::mem::forget(self.entries.pop());
        self.top_changed();
    }

    /// Drops the entry at `position` where it lies (the top, usually).
    #[inline]
    pub(super) fn discard(&mut self, position: usize) {
        if position + 1 == self.entries.len() {
            self.entries.truncate(position);
        } else {
            self.entries.remove(position);
        }
        self.top_changed();
    }

    /// Keeps [`top_is_unsampled`](super::top_is_unsampled) true to the new top.
    #[inline]
    pub(super) fn top_changed(&self) {
        set_top_is_unsampled(
            self.entries
                .last()
                .is_some_and(|entry| entry.unsampled_parent),
        );
    }

    /// Removes the entry at `position`. A shared span's reference comes
    /// back, for the caller to release once the stack is no longer
    /// borrowed (its drop may reach this stack).
    #[inline]
    pub(super) fn remove(&mut self, position: usize) -> Option<SharedRef> {
        if position + 1 != self.entries.len() {
            let entry = self.entries.remove(position);
            self.top_changed();
            return match entry.active {
                Active::Span(span) => Some(span),
                _ => None,
            };
        }
        // The top (the common case: a scope dropped in order) leaves where
        // it lies: only its reference is read out, not the whole entry
        // moved.
        let span = match &self.entries[position].active {
            // SAFETY: the entry leaves the vector at once, its drop glue
            // never to run, so the reference read here is its only owner.
            Active::Span(span) => unsafe {
                let span = std::ptr::read(span);
                self.entries.set_len(position);
                Some(span)
            },
            _ => {
                self.entries.truncate(position);
                None
            }
        };
        self.top_changed();
        span
    }

    /// The context of the active span, if any.
    #[inline]
    pub(crate) fn active_context(&self) -> Option<SpanContext> {
        self.entries.last()?.active.span_context()
    }

    /// What a child inherits from the active span when that span lives in
    /// this process, read in place; `None` for a remote parent, an explicit
    /// "nothing", or an empty stack.
    #[inline(always)]
    pub(crate) fn active_parent(&self) -> Option<LocalParent> {
        let active = &self.entries.last()?.active;
        match active {
            Active::Local(_) | Active::Carried(_) => active.live().map(|live| LocalParent {
                trace_id: live.trace_id,
                span_id: live.span_id,
                sampled: live.sampled,
                random_trace_id: live.random_trace_id,
                baggage: live.baggage.clone(),
                trace_state: live.trace_state.clone(),
            }),
            Active::Span(span) => Some(span.as_parent()),
            Active::Context(_) | Active::Nothing => None,
        }
    }

    /// Whether a child of the active span stays unsampled: the active
    /// trace is not sampled and `sampler` would not sample it under such a
    /// parent. Reads the flags in place, copying no context.
    #[inline]
    pub(crate) fn active_stays_unsampled(&self, sampler: &Sampler) -> bool {
        let Some((trace_id, sampled)) = self.entries.last().and_then(|e| e.active.sampling())
        else {
            return false;
        };
        !sampled && !sampler.decide(Some(false), trace_id)
    }

    /// A new span id (never zero), drawn from this thread's generator.
    #[inline]
    pub(crate) fn span_id(&mut self) -> SpanId {
        if self.rng == 0 {
            self.rng = crate::local::ids::seed();
        }
        self.draw_span_id()
    }

    /// A new span id from a generator already seeded.
    #[inline(always)]
    fn draw_span_id(&mut self) -> SpanId {
        loop {
            if let Some(id) = SpanId::new(crate::local::ids::draw(&mut self.rng)) {
                return id;
            }
        }
    }

    /// A new 128-bit trace id (never all zeros), drawn from this thread's
    /// generator.
    pub(crate) fn trace_id(&mut self) -> TraceId {
        loop {
            let high = u128::from(self.next_u64());
            let id = TraceId::from_u128((high << 64) | u128::from(self.next_u64()));
            if id.is_valid() {
                return id;
            }
        }
    }

    /// A random draw for ids.
    #[inline]
    pub(crate) fn next_u64(&mut self) -> u64 {
        if self.rng == 0 {
            self.rng = crate::local::ids::seed();
        }
        crate::local::ids::draw(&mut self.rng)
    }

    /// Finishes the local span `id` at `end`, takes it off the stack and
    /// buffers it for `pipeline`. The span is read where it lies and
    /// written straight into its buffer.
    #[inline]
    pub(crate) fn finish_local(&mut self, id: u64, end: u64, pipeline: Option<&Arc<Shared>>) {
        // First the common case, a sync call's span on top, on its own
        // short path.
        if let Some(shared) = pipeline
            && self.finish_top_recording(id, end, shared).is_some()
        {
            return;
        }
        let Some(position) = self.find(id) else {
            return;
        };
        // Everything a recording span owns moves into its record, so its
        // emptied state leaves the stack with nothing to drop.
        if let Active::Carried(_) = self.entries[position].active {
            if let Some(carried) = self.remove_carried(position) {
                self.finish_carried(carried, end, pipeline);
            }
            return;
        }
        let mut emptied = false;
        if let Some(live) = self.entries[position].active.live_mut()
            && live.recording
        {
            emptied = true;
            self.buffers.submit_leaving(live, end, pipeline);
        }
        if emptied && position + 1 == self.entries.len() {
            self.pop_emptied();
        } else {
            self.discard(position);
        }
    }

    /// Finishes the local span `id` at `end` if it is a recording sync
    /// call's span on top (the common case), moving it whole into its
    /// slot for `shared`; `None`, with nothing changed, otherwise.
    #[inline(always)]
    pub(crate) fn finish_top_recording(
        &mut self,
        id: u64,
        end: u64,
        shared: &Arc<Shared>,
    ) -> Option<()> {
        let position = self.entries.len().checked_sub(1)?;
        let entry = &mut self.entries[position];
        if entry.id != id {
            return None;
        }
        let Active::Local(live) = &mut entry.active else {
            return None;
        };
        if !live.recording {
            return None;
        }
        let live: *mut LiveSpan = live;
        // SAFETY: the entry leaves the vector first, its drop glue never to
        // run; its span is then moved out whole, once.
        unsafe {
            self.entries.set_len(position);
            self.buffers.submit_moved(shared, live, end);
        }
        self.top_changed();
        Some(())
    }

    /// Finishes an async call's span at `end`, off the stack already, and
    /// keeps its box for the next one.
    #[inline]
    pub(super) fn finish_carried(
        &mut self,
        mut live: Box<LiveSpan>,
        end: u64,
        pipeline: Option<&Arc<Shared>>,
    ) {
        let emptied = live.recording;
        if emptied {
            self.buffers.submit_leaving(&mut live, end, pipeline);
        }
        self.keep_spare_live(live, emptied);
    }
}

impl Drop for Stack {
    /// A thread's stack goes at thread exit: nothing is active after it.
    fn drop(&mut self) {
        set_top_is_unsampled(false);
    }
}

/// Boxes of async spans a thread keeps for reuse at most.
const MAX_SPARE_LIVE: usize = 64;
