//! The scope stack: which span is active on this thread.
//!
//! Each thread keeps a stack of entries. [`Span::activate`](crate::Span::activate)
//! and [`Context::attach`] push one and return a [`Scope`]; dropping the scope
//! removes exactly that entry, wherever it sits. Scopes closed out of order
//! therefore never leave a stale span active — the failure of scope managers
//! that restore "the previous span" remembered at activation time.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::context::SpanContext;
use crate::span::SpanRef;

/// What an entry of the stack makes active.
#[derive(Clone)]
pub(crate) enum Active {
    /// A live span of this process.
    Span(Arc<SpanRef>),
    /// Only a context: a remote parent, or a span that lives elsewhere.
    Context(SpanContext),
    /// Explicitly nothing: spans started under it are roots.
    Nothing,
}

impl Active {
    fn span_context(&self) -> Option<SpanContext> {
        match self {
            Active::Span(span) => Some(span.context()),
            Active::Context(context) => Some(context.clone()),
            Active::Nothing => None,
        }
    }
}

struct Entry {
    id: u64,
    active: Active,
}

struct Stack {
    entries: Vec<Entry>,
    next_id: u64,
}

thread_local! {
    static STACK: RefCell<Stack> = const {
        RefCell::new(Stack { entries: Vec::new(), next_id: 1 })
    };
}

/// Pushes `active` onto this thread's stack.
pub(crate) fn enter(active: Active) -> Scope {
    let pushed = STACK.try_with(|stack| {
        let mut stack = stack.try_borrow_mut().ok()?;
        let id = stack.next_id;
        stack.next_id += 1;
        stack.entries.push(Entry { id, active });
        Some(id)
    });
    Scope {
        id: pushed.ok().flatten().unwrap_or(0),
        _not_send: PhantomData,
    }
}

/// A clone of what is active on this thread (the top of the stack).
fn top() -> Option<Active> {
    STACK
        .try_with(|stack| {
            let stack = stack.try_borrow().ok()?;
            stack.entries.last().map(|entry| entry.active.clone())
        })
        .ok()
        .flatten()
}

/// Whether no span is active on this thread.
pub(crate) fn is_idle() -> bool {
    STACK
        .try_with(|stack| stack.try_borrow().is_ok_and(|s| s.entries.is_empty()))
        .unwrap_or(true)
}

/// The context of the active span on this thread, if any.
pub(crate) fn active_context() -> Option<SpanContext> {
    top()?.span_context()
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
    // The stack is not borrowed while `f` runs, so `f` may start and
    // activate spans of its own.
    match top()? {
        Active::Span(span) => Some(f(&span)),
        Active::Context(_) | Active::Nothing => None,
    }
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
        let removed = STACK.try_with(|stack| {
            let mut stack = stack.try_borrow_mut().ok()?;
            let position = stack.entries.iter().rposition(|e| e.id == self.id)?;
            Some((stack.entries.remove(position), stack.entries.is_empty()))
        });
        // Used here, after the borrow ended: releasing the last reference to
        // a span must not run while the stack is borrowed.
        if let Ok(Some((_entry, true))) = removed {
            crate::export::local::thread_idle();
        }
    }
}

impl std::fmt::Debug for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope").field("id", &self.id).finish()
    }
}

/// A snapshot of what is active, to carry to another thread or task and
/// re-activate there.
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
#[derive(Clone, Default)]
pub struct Context {
    active: Option<Active>,
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
        enter(self.active.clone().unwrap_or(Active::Nothing))
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
