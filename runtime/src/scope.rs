//! The scope stack: which span is active on this thread.
//!
//! Each thread keeps a stack of entries. [`Span::activate`](crate::Span::activate)
//! and [`Context::attach`] push one and return a [`Scope`]; dropping the scope
//! removes exactly that entry, wherever it sits. Scopes closed out of order
//! therefore never leave a stale span active — the failure of scope managers
//! that restore "the previous span" remembered at activation time.

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::context::{Baggage, SpanContext, SpanId, TraceId, TraceState};
use crate::export::Shared;
use crate::export::local::Buffers;
use crate::live::LiveSpan;
use crate::sampler::Sampler;
use crate::span::{SharedSpan, SpanRef};

/// What an entry of the stack makes active.
pub(crate) enum Active {
    /// A span whose state is shared (it may be active on several threads).
    Span(Arc<SharedSpan>),
    /// The span of a traced synchronous call, kept here until it finishes.
    Local(LiveSpan),
    /// The span of a traced async call, from its start until its future
    /// takes it, and then during a poll that needed it here (see [`lend`]):
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
    fn live(&self) -> Option<&LiveSpan> {
        match self {
            Active::Local(live) => Some(live),
            Active::Carried(live) => live.as_deref(),
            _ => None,
        }
    }

    #[inline(always)]
    fn live_mut(&mut self) -> Option<&mut LiveSpan> {
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

    fn span_context(&self) -> Option<SpanContext> {
        match self {
            Active::Span(span) => Some(span.context()),
            Active::Local(_) | Active::Carried(_) => self.live().map(LiveSpan::context),
            Active::Context(context) => Some(context.clone()),
            Active::Nothing => None,
        }
    }

    /// What another thread or task may carry: a local span becomes its
    /// context, since its state stays on this thread (or with its future).
    fn portable(&self) -> Active {
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

/// What a child takes from a parent span of this process.
pub(crate) struct LocalParent {
    pub(crate) trace_id: TraceId,
    pub(crate) span_id: SpanId,
    pub(crate) sampled: bool,
    pub(crate) random_trace_id: bool,
    pub(crate) baggage: Baggage,
    pub(crate) trace_state: TraceState,
}

struct Entry {
    id: u64,
    active: Active,
}

/// Everything a thread keeps for tracing, in one thread-local so a span
/// visits it once to start and once to finish: the scope stack, the
/// buffers of finished spans, and the id generator.
pub(crate) struct Stack {
    entries: Vec<Entry>,
    /// The next entry id; ids are unique across threads (see `new_block`).
    next_id: u64,
    /// The id generator's state (0: not seeded yet).
    rng: u64,
    pub(crate) buffers: Buffers,
    /// Boxes of finished async spans, kept for reuse.
    #[allow(
        clippy::vec_box,
        reason = "a box moves whole between a future and this pool, never its contents"
    )]
    spare_live: Vec<Box<LiveSpan>>,
}

/// Entry ids come in blocks of 2^32 per thread, so an id names one entry in
/// the whole process: a handle used on the wrong thread finds nothing.
fn new_block() -> u64 {
    static BLOCKS: AtomicU64 = AtomicU64::new(1);
    BLOCKS.fetch_add(1, Ordering::Relaxed) << 32
}

impl Stack {
    const fn new() -> Stack {
        Stack {
            entries: Vec::new(),
            next_id: 0,
            rng: 0,
            buffers: Buffers::new(),
            spare_live: Vec::new(),
        }
    }

    /// Pushes what `build` returns; returns the new entry's id.
    #[inline(always)]
    fn push_with(&mut self, build: impl FnOnce(&mut Stack) -> Active) -> u64 {
        if self.next_id & 0xffff_ffff == 0 {
            self.next_id = new_block();
        }
        let id = self.next_id;
        self.next_id += 1;
        let active = build(self);
        set_top_is_unsampled(active.is_unsampled_parent());
        crate::in_place::push_in_place(&mut self.entries, Entry { id, active });
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

    /// Pushes an async call's span, which `start` writes into a box (one of
    /// an earlier span when there is one); returns its entry id and
    /// whether it is sampled.
    #[inline(always)]
    pub(crate) fn push_carried(
        &mut self,
        start: impl FnOnce(&mut Stack, &mut LiveSpan),
    ) -> (u64, bool) {
        let mut live = match self.spare_live.pop() {
            Some(spare) => spare,
            None => Box::new(LiveSpan::NOOP),
        };
        start(self, &mut live);
        let sampled = live.sampled;
        (self.push(Active::Carried(Some(live))), sampled)
    }

    #[inline]
    fn find(&mut self, id: u64) -> Option<usize> {
        self.entries.iter().rposition(|entry| entry.id == id)
    }

    /// Pushes the span a poll lent, if there is one: something is about to
    /// read or change the stack, and that span is the top.
    #[inline(always)]
    fn push_lent(&mut self) {
        if !LENT.with(Cell::get).is_null() {
            self.push_lent_now();
        }
    }

    #[cold]
    #[inline(never)]
    fn push_lent_now(&mut self) {
        let raw = LENT.with(|lent| lent.replace(std::ptr::null_mut()));
        // SAFETY: `LENT` owned the box `lend` leaked; it was just cleared,
        // so the box has one owner again: the entry.
        let live = unsafe { Box::from_raw(raw) };
        self.push(Active::Carried(Some(live)));
    }

    /// The position of the carried span whose box is at `raw`.
    fn find_carried(&self, raw: *const LiveSpan) -> Option<usize> {
        self.entries.iter().rposition(|entry| match &entry.active {
            Active::Carried(Some(live)) => std::ptr::eq(&**live, raw),
            _ => false,
        })
    }

    /// Keeps the box of a finished async span for the next one, its span
    /// emptied (by [`LiveSpan::finish_leaving`], or here).
    fn keep_spare_live(&mut self, mut spare: Box<LiveSpan>, emptied: bool) {
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
    fn remove_carried(&mut self, position: usize) -> Option<Box<LiveSpan>> {
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
    fn pop_emptied(&mut self) {
        std::mem::forget(self.entries.pop());
        self.top_changed();
    }

    /// Drops the entry at `position` where it lies (the top, usually).
    #[inline]
    fn discard(&mut self, position: usize) {
        if position + 1 == self.entries.len() {
            self.entries.truncate(position);
        } else {
            self.entries.remove(position);
        }
        self.top_changed();
    }

    /// Keeps [`top_is_unsampled`] true to the new top.
    #[inline]
    fn top_changed(&self) {
        set_top_is_unsampled(
            self.entries
                .last()
                .is_some_and(|entry| entry.active.is_unsampled_parent()),
        );
    }

    /// Removes the entry at `position`. A shared span's reference comes
    /// back, for the caller to release once the stack is no longer
    /// borrowed (its drop may reach this stack).
    #[inline]
    fn remove(&mut self, position: usize) -> Option<Arc<SharedSpan>> {
        let entry = if position + 1 == self.entries.len() {
            self.entries.pop()
        } else {
            Some(self.entries.remove(position))
        };
        self.top_changed();
        match entry?.active {
            Active::Span(span) => Some(span),
            _ => None,
        }
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

    /// A random draw for ids.
    #[inline]
    pub(crate) fn next_u64(&mut self) -> u64 {
        if self.rng == 0 {
            self.rng = crate::ids::seed();
        }
        crate::ids::draw(&mut self.rng)
    }

    /// Finishes the local span `id` at `end`, takes it off the stack and
    /// buffers it for `pipeline`. The span is read where it lies and
    /// written straight into its buffer.
    #[inline]
    pub(crate) fn finish_local(&mut self, id: u64, end: u64, pipeline: Option<&Arc<Shared>>) {
        let Some(position) = self.find(id) else {
            return;
        };
        // Everything a recording span owns moves into its record, so its
        // emptied state leaves the stack with nothing to drop. First the
        // common case, a sync call's span on top, on its own short path.
        if let Some(shared) = pipeline
            && position + 1 == self.entries.len()
            && let Active::Local(live) = &mut self.entries[position].active
            && live.recording
        {
            self.buffers
                .submit_built(shared, || live.finish_leaving(end));
            self.pop_emptied();
            return;
        }
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

    /// Finishes an async call's span at `end`, off the stack already, and
    /// keeps its box for the next one.
    #[inline]
    fn finish_carried(
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

thread_local! {
    static STACK: RefCell<Stack> = const { RefCell::new(Stack::new()) };
    /// Whether the top of this thread's stack is a parent whose trace is
    /// not sampled: kept beside the stack, in a plain cell, so a traced
    /// call under an unsampled trace reads one flag and nothing else.
    static TOP_IS_UNSAMPLED: Cell<bool> = const { Cell::new(false) };
    /// The span of the async call being polled on this thread, active but
    /// not pushed yet (null: none); see [`lend`]. While it is here, this
    /// cell owns it.
    static LENT: Cell<*mut LiveSpan> = const { Cell::new(std::ptr::null_mut()) };
    /// The stand-in for `STACK` once it is gone, while the thread's other
    /// thread-locals are torn down (null: none); see `with_teardown_stack`.
    /// A plain cell, with no destructor, so it outlives them all.
    static TEARDOWN: Cell<*mut Stack> = const { Cell::new(std::ptr::null_mut()) };
}

/// Whether the span active on this thread belongs to a trace that is not
/// sampled.
#[inline(always)]
pub(crate) fn top_is_unsampled() -> bool {
    TOP_IS_UNSAMPLED.get()
}

/// Sets the flag through `with`: `LocalKey::set` goes through the lazy
/// initialisation path, a call, though this cell is constant-initialised
/// and has no destructor (so `with` cannot fail).
#[inline(always)]
fn set_top_is_unsampled(value: bool) {
    TOP_IS_UNSAMPLED.with(|flag| flag.set(value));
}

/// Runs `f` on this thread's stack. During thread teardown, once the
/// stack is gone (a span started in a thread-local's destructor), `f` runs
/// on a stand-in kept until its last entry goes (see
/// [`with_teardown_stack`]). No user code runs while the stack is
/// borrowed, so the borrow cannot fail for any other reason.
///
/// A span lent by a poll (see [`lend`]) is pushed first, so `f` sees the
/// stack as it would be had the span been pushed at the poll's start.
#[inline]
fn with_stack<R>(f: impl FnOnce(&mut Stack) -> Option<R>) -> Option<R> {
    let mut f = Some(f);
    if let Ok(out) = STACK.try_with(|stack| {
        let mut stack = stack.try_borrow_mut().ok()?;
        stack.push_lent();
        f.take()?(&mut stack)
    }) {
        return out;
    }
    with_teardown_stack(f?)
}

/// Runs `f` on the stand-in stack of a thread whose stack is gone. The
/// stand-in lives in a slot with no destructor (so it stays reachable
/// while the thread's other thread-locals are torn down) and is let go,
/// its spans queued for export, as soon as no entry is left on it.
#[cold]
#[inline(never)]
fn with_teardown_stack<R>(f: impl FnOnce(&mut Stack) -> Option<R>) -> Option<R> {
    let raw = TEARDOWN.with(|slot| slot.replace(std::ptr::null_mut()));
    let mut stack = if raw.is_null() {
        Box::new(Stack::new())
    } else {
        // SAFETY: the slot held the only pointer to a box leaked below; it
        // was just cleared, so the box has one owner again.
        unsafe { Box::from_raw(raw) }
    };
    stack.push_lent();
    let out = f(&mut stack);
    if !stack.entries.is_empty() {
        let raw = Box::into_raw(stack);
        TEARDOWN.with(|slot| slot.set(raw));
    }
    out
}

/// Runs `f` on this thread's state.
#[inline]
pub(crate) fn with_thread<R>(f: impl FnOnce(&mut Stack) -> R) -> R {
    let mut f = Some(f);
    if let Some(out) = with_stack(|stack| Some(f.take()?(stack))) {
        return out;
    }
    on_fresh_stack(f)
}

/// Runs `f` on a stack of its own: only if this thread's stack was
/// borrowed already, which no code path does.
#[cold]
#[inline(never)]
fn on_fresh_stack<R>(f: Option<impl FnOnce(&mut Stack) -> R>) -> R {
    match f {
        Some(f) => f(&mut Stack::new()),
        None => unreachable!("the closure ran and returned"),
    }
}

/// Boxes of async spans a thread keeps for reuse at most.
const MAX_SPARE_LIVE: usize = 64;

/// Runs `f` on this thread's span buffers.
pub(crate) fn with_buffers<R>(f: impl FnOnce(&mut Buffers) -> R) -> Option<R> {
    with_stack(|stack| Some(f(&mut stack.buffers)))
}

/// Pushes `active` onto this thread's stack.
pub(crate) fn enter(active: Active) -> Scope {
    Scope {
        id: with_stack(|stack| Some(stack.push(active))).unwrap_or(0),
        _not_send: PhantomData,
    }
}

/// Makes a shared span active (each poll of a traced future does): the
/// entry is built here, in place, rather than passed in whole.
#[inline]
pub(crate) fn enter_span(span: &Arc<SharedSpan>) -> Scope {
    Scope {
        id: with_stack(|stack| Some(stack.push(Active::Span(span.clone())))).unwrap_or(0),
        _not_send: PhantomData,
    }
}

/// Takes the span `id` off this thread's stack, unfinished (an async call's,
/// at the end of a poll), boxed to travel.
#[inline]
pub(crate) fn take_carried(id: u64) -> Option<Box<LiveSpan>> {
    with_stack(|stack| {
        let position = stack.find(id)?;
        stack.remove_carried(position)
    })
}

/// An async call's span, active on this thread for one poll but not
/// pushed: most polls start no span and read nothing, so the push waits
/// until something reads or changes the stack (see `with_stack`). Made by
/// [`lend`]; ended, on the same thread, by [`Lent::take_back`],
/// [`Lent::finish`] or [`Lent::settle`].
pub(crate) struct Lent {
    raw: *mut LiveSpan,
    /// The "unsampled top" flag before the loan, to restore when the span
    /// comes back never pushed.
    was_unsampled: bool,
}

/// Makes `live` the active span for one poll. Fails (the span comes
/// back) only during thread teardown, when a span lent by an enclosing
/// poll can no longer be pushed.
#[inline]
pub(crate) fn lend(live: Box<LiveSpan>) -> Result<Lent, Box<LiveSpan>> {
    // An enclosing poll's lent span goes on the stack first, below this one.
    if !LENT.with(Cell::get).is_null() && with_stack(|_| Some(())).is_none() {
        return Err(live);
    }
    let was_unsampled = top_is_unsampled();
    set_top_is_unsampled(!live.sampled);
    let raw = Box::into_raw(live);
    LENT.with(|lent| lent.set(raw));
    Ok(Lent { raw, was_unsampled })
}

impl Lent {
    /// The span, if it was never pushed: nothing else touched the stack.
    #[inline(always)]
    fn reclaim(&self) -> Option<Box<LiveSpan>> {
        if LENT.with(Cell::get) != self.raw {
            return None;
        }
        LENT.with(|lent| lent.set(std::ptr::null_mut()));
        set_top_is_unsampled(self.was_unsampled);
        // SAFETY: `LENT` owned the box `lend` leaked and no longer holds it.
        Some(unsafe { Box::from_raw(self.raw) })
    }

    /// Ends the poll: the span comes back to travel with its future, from
    /// wherever it is now.
    #[inline]
    pub(crate) fn take_back(self) -> Option<Box<LiveSpan>> {
        let lent = ManuallyDrop::new(self);
        if let Some(live) = lent.reclaim() {
            return Some(live);
        }
        with_stack(|stack| {
            let position = stack.find_carried(lent.raw)?;
            stack.remove_carried(position)
        })
    }

    /// Finishes the span at `end` and buffers it for `pipeline`, when it
    /// was never pushed; else it comes back, for [`settle`](Self::settle).
    #[inline]
    pub(crate) fn finish(self, end: u64, pipeline: Option<&Arc<Shared>>) -> Result<(), Lent> {
        let Some(live) = self.reclaim() else {
            return Err(self);
        };
        std::mem::forget(self);
        finish_carried(live, end, pipeline);
        Ok(())
    }

    /// Pushes the span if it is still lent; returns its entry id, for the
    /// steps that name the span there (hooks, outcome tags, finishing).
    /// During thread teardown there is no stack: the span comes back, if
    /// it was never pushed.
    #[inline]
    pub(crate) fn settle(self) -> Result<u64, Option<Box<LiveSpan>>> {
        let lent = ManuallyDrop::new(self);
        let id = with_stack(|stack| {
            let position = stack.find_carried(lent.raw)?;
            Some(stack.entries[position].id)
        });
        id.ok_or_else(|| lent.reclaim())
    }
}

impl Drop for Lent {
    /// A loan that was never ended (a panic on the way, in a formatter the
    /// outcome called, say): the span is finished now, where it is, rather
    /// than left lent for the next visit to the stack to push for good.
    #[cold]
    fn drop(&mut self) {
        let pipeline = crate::tracer::global().pipeline();
        let end = |live: &LiveSpan| crate::clock::now_if(live.recording);
        if let Some(live) = self.reclaim() {
            let end = end(&live);
            finish_carried(live, end, pipeline);
            return;
        }
        with_stack(|stack| {
            let position = stack.find_carried(self.raw)?;
            let id = stack.entries[position].id;
            let end = stack.entries[position].active.live().map_or(0, end);
            stack.finish_local(id, end, pipeline);
            Some(())
        });
    }
}

/// Finishes an async call's span at `end`, off the stack, and buffers it
/// for `pipeline`.
pub(crate) fn finish_carried(live: Box<LiveSpan>, end: u64, pipeline: Option<&Arc<Shared>>) {
    with_thread(|stack| stack.finish_carried(live, end, pipeline));
}

/// Runs `f` on the local span `id` of this thread, if it is there.
pub(crate) fn with_local<R>(id: u64, f: impl FnOnce(&mut LiveSpan) -> R) -> Option<R> {
    with_stack(|stack| {
        let position = stack.find(id)?;
        stack.entries[position].active.live_mut().map(f)
    })
}

/// What is active on this thread, in a form that may travel.
fn top() -> Option<Active> {
    with_stack(|stack| Some(stack.entries.last()?.active.portable()))
}

/// Runs `f` on the active span, if there is one and it lives in this
/// process; returns what `f` returned.
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
    // Only a handle is taken: the stack is not borrowed while `f` runs, so
    // `f` may start and activate spans of its own.
    let handle = with_stack(|stack| {
        let entry = stack.entries.last()?;
        match &entry.active {
            Active::Span(span) => Some(SpanRef::shared(span.clone())),
            Active::Local(_) | Active::Carried(_) => Some(SpanRef::local(entry.id)),
            Active::Context(_) | Active::Nothing => None,
        }
    })?;
    Some(f(&handle))
}

/// Keeps an entry on this thread's scope stack; dropping it removes that
/// entry. Not `Send`: a scope belongs to the thread that opened it.
#[must_use = "the span is active only until the scope is dropped"]
pub struct Scope {
    /// 0 for a scope that pushed nothing.
    id: u64,
    _not_send: PhantomData<*const ()>,
}

impl Scope {
    /// A scope that pushed nothing (for noop spans).
    pub(crate) const fn inert() -> Scope {
        Scope {
            id: 0,
            _not_send: PhantomData,
        }
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        if self.id == 0 {
            return;
        }
        // The entry is dropped after the borrow ended: releasing the last
        // reference to a span must not run while the stack is borrowed.
        let _released = with_stack(|stack| {
            let position = stack.find(self.id)?;
            stack.remove(position)
        });
    }
}

impl std::fmt::Debug for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope").field("id", &self.id).finish()
    }
}

/// A snapshot of what is active, to carry to another thread or task and
/// re-activate there. (The span of a traced call is carried as its context:
/// children elsewhere find it as their parent, but its tags can only be set
/// where it runs.)
///
/// ```
/// use tracekit_runtime::{context, testing};
///
/// let (_, spans) = testing::capture(|| {
///     let parent = tracekit_runtime::global().span("parent").start();
///     let _scope = parent.activate();
///     let context = context::current();
///     std::thread::spawn(move || {
///         context.run(|| tracekit_runtime::global().span("on another thread").start());
///     })
///     .join()
///     .unwrap();
/// });
/// let parent = spans.iter().find(|s| s.name == "parent").unwrap();
/// let child = spans.iter().find(|s| s.name == "on another thread").unwrap();
/// assert_eq!(child.parent_id, Some(parent.span_id));
/// ```
#[derive(Default)]
pub struct Context {
    active: Option<Active>,
}

impl Clone for Context {
    fn clone(&self) -> Self {
        Context {
            active: self.active.as_ref().map(Active::portable),
        }
    }
}

impl Context {
    /// What is active on this thread now.
    pub fn current() -> Context {
        Context { active: top() }
    }

    /// A context whose active parent is `span_context` (for example one
    /// extracted from incoming headers).
    pub fn from_span_context(span_context: SpanContext) -> Context {
        Context {
            active: Some(Active::Context(span_context)),
        }
    }

    /// The span context that spans started under this context would use as
    /// their parent.
    pub fn span_context(&self) -> Option<SpanContext> {
        self.active.as_ref()?.span_context()
    }

    /// Makes this context the active one on the current thread until the
    /// returned scope is dropped. An empty context makes "no span" active, so
    /// spans started under it are roots.
    pub fn attach(&self) -> Scope {
        enter(
            self.active
                .as_ref()
                .map_or(Active::Nothing, Active::portable),
        )
    }

    /// Runs `f` with this context active.
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        let _scope = self.attach();
        f()
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("span_context", &self.span_context())
            .finish()
    }
}

/// What is active on this thread now; shorthand for [`Context::current`].
pub fn current() -> Context {
    Context::current()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{SpanId, TraceId};

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
    fn a_lent_span_comes_back_however_the_poll_ends() {
        // Never pushed: the same box comes back from the loan itself.
        let live = sampled_live();
        let raw: *const LiveSpan = &*live;
        let back = lend(live).ok().expect("lent").take_back().expect("back");
        assert!(std::ptr::eq(&*back, raw));
        assert!(LENT.with(Cell::get).is_null());

        // Pushed because something read the stack: it comes back off it.
        let depth = with_stack(|stack| Some(stack.entries.len())).unwrap_or(0);
        let lent = lend(sampled_live()).ok().expect("lent");
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
        let lent = lend(sampled_live()).ok().expect("lent");
        let id = lent.settle().ok().expect("settled");
        assert!(with_stack(|stack| stack.find(id)).is_some());
        with_thread(|stack| stack.finish_local(id, 0, None));
        assert_eq!(with_stack(|stack| Some(stack.entries.len())), Some(depth));

        // A loan dropped without an ending (a panic on the way) is finished
        // where it is, and the cell is clear again.
        drop(lend(sampled_live()).ok().expect("lent"));
        assert!(LENT.with(Cell::get).is_null());
        assert_eq!(with_stack(|stack| Some(stack.entries.len())), Some(depth));
    }
}
