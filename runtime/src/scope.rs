//! Scopes: which span is active on this thread, as users handle it.
//!
//! [`SpanRef::activate`](crate::SpanRef::activate) and [`Context::attach`] push
//! an entry on the thread's scope stack ([`crate::local`]) and return a
//! [`Scope`]; dropping the scope removes exactly that entry, wherever it
//! sits. Scopes closed out of order therefore never leave a stale span
//! active — the failure of scope managers that restore "the previous span"
//! remembered at activation time.

use std::marker::PhantomData;

use crate::identity::SpanContext;
use crate::local::{self, Active};
use crate::parent::AsParent;

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

impl Scope {
    /// The scope of the entry `id` just pushed (0: none).
    pub(crate) fn of(id: u64) -> Scope {
        Scope {
            id,
            _not_send: PhantomData,
        }
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        if self.id != 0 {
            local::leave(self.id);
        }
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
        Context {
            active: local::top(),
        }
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
        Scope::of(local::enter(
            self.active
                .as_ref()
                .map_or(Active::Nothing, Active::portable),
        ))
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

/// Whether a span or a context is active on this thread: whether
/// `current().span_context()` is `Some`, without copying it. What a client
/// that sends no context of its own outside a trace asks.
///
/// ```
/// use tracekit_runtime::context::{Context, SpanContext, SpanId, TraceId, has_current};
///
/// assert!(!has_current());
/// let caller = SpanContext::new(
///     TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
///     SpanId::from_hex("00f067aa0ba902b7").unwrap(),
///     true,
/// );
/// let _scope = Context::from_span_context(caller).attach();
/// assert!(has_current());
/// ```
pub fn has_current() -> bool {
    local::has_top()
}

impl AsParent for Context {
    fn as_parent(&self) -> Option<SpanContext> {
        self.span_context()
    }
}
