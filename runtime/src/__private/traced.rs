//! What `#[traced]` expands to calls: start the span, record arguments, run
//! hooks around the body, record the outcome, finish.

use std::any::Any;
use std::borrow::Cow;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use super::probe::ErrorInfo;
use crate::clock;
use crate::context::SpanContext;
use crate::hooks::{Call, Hooks, Outcome};
use crate::record::SpanKind;
use crate::scope::Context;
use crate::span::{References, Span, SpanRef, SpanStart};
use crate::tag::TagValue;
use crate::tracer::global;

/// The static facts of one traced function, built once in a `static`.
pub struct CallSite {
    /// The function's name.
    pub function: &'static str,
    /// The span name (`name = ".."`, else the function's name).
    pub name: &'static str,
    /// `module_path!()`.
    pub module_path: &'static str,
    /// `file!()`.
    pub file: &'static str,
    /// `line!()`.
    pub line: u32,
    /// `kind = ..`.
    pub kind: SpanKind,
    /// `hooks = ..`.
    pub hooks: Option<&'static dyn Hooks>,
}

/// Values `child_of = ..` and `follows_from = ..` accept.
pub trait AsParent {
    /// The context to use, if any.
    fn as_parent(&self) -> Option<SpanContext>;
}

impl AsParent for SpanContext {
    fn as_parent(&self) -> Option<SpanContext> {
        Some(self.clone())
    }
}

impl AsParent for SpanRef {
    fn as_parent(&self) -> Option<SpanContext> {
        Some(self.context()).filter(SpanContext::is_valid)
    }
}

impl AsParent for Span {
    fn as_parent(&self) -> Option<SpanContext> {
        (**self).as_parent()
    }
}

impl AsParent for Context {
    fn as_parent(&self) -> Option<SpanContext> {
        self.span_context()
    }
}

impl<T: AsParent> AsParent for Option<T> {
    fn as_parent(&self) -> Option<SpanContext> {
        self.as_ref()?.as_parent()
    }
}

impl<T: AsParent + ?Sized> AsParent for &T {
    fn as_parent(&self) -> Option<SpanContext> {
        (**self).as_parent()
    }
}

/// What the generated code learned from the return value.
#[derive(Default)]
pub struct Finish {
    /// The error, for an `Err` (unless `err = false`).
    pub error: Option<ErrorInfo>,
    /// The `return` tag, with `ret`.
    pub ret: Option<TagValue>,
}

/// One traced call in progress whose span may cross threads (an async
/// call, or a call returning a future).
pub struct Traced {
    span: Span,
    /// Whether the span records, kept so the call never asks the span again.
    recording: bool,
    site: &'static CallSite,
}

impl Traced {
    /// A call made while no tracer is installed.
    #[inline(always)]
    pub fn disabled(site: &'static CallSite) -> Traced {
        Traced {
            span: Span::noop(),
            recording: false,
            site,
        }
    }

    /// Starts the span of an async call (or of a call returning a future)
    /// on the global tracer: its state is shared, as the future may move
    /// between threads.
    pub fn start(site: &'static CallSite, references: Option<&mut References>) -> Traced {
        let span = match references {
            None => global().start_traced_shared(site.name, site.kind),
            references => global().start_span(Self::span_start(site, references)),
        };
        let recording = span.is_sampled();
        Traced {
            span,
            recording,
            site,
        }
    }

    fn span_start(site: &'static CallSite, references: Option<&mut References>) -> SpanStart {
        let References {
            parent,
            follows_from,
        } = references.map(std::mem::take).unwrap_or_default();
        SpanStart {
            name: Cow::Borrowed(site.name),
            kind: site.kind,
            parent,
            follows_from: follows_from.map_or_else(Vec::new, |cause| vec![cause]),
            ..SpanStart::default()
        }
    }

    /// Whether the span records (sampled): only then are arguments and tags
    /// computed. The sampled flag suffices, and takes no lock: the span is
    /// owned here, so nothing can finish it before the call ends.
    #[inline]
    pub fn is_recording(&self) -> bool {
        self.recording
    }

    /// Sets a tag from `tags(..)`.
    pub fn tag(&self, key: &'static str, value: Option<TagValue>) {
        if let Some(value) = value {
            self.span.set_tag(key, value);
        }
    }

    /// Runs the `before_call` hooks with the recorded arguments, then keeps
    /// the arguments as tags.
    #[inline]
    pub fn call<const N: usize>(&self, mut args: [(&'static str, Option<TagValue>); N]) {
        self.hooked().call(&mut args);
    }

    fn hooked(&self) -> Hooked<'_> {
        Hooked {
            span: &self.span,
            site: self.site,
            recording: self.recording,
        }
    }

    /// Runs `construct` (a body that builds a future) inside the span, then
    /// keeps the span open until the future completes.
    pub fn run_future<F: Future, P: FnOnce(&F::Output) -> Finish>(
        self,
        construct: impl FnOnce() -> F,
        finish: P,
    ) -> TracedFuture<F, P> {
        match self.under_span(construct) {
            Ok(inner) => self.run_async(inner, finish),
            Err(payload) => self.panicked(payload),
        }
    }

    /// Keeps the span open around `inner`: active on every poll, finished
    /// when it completes or is dropped.
    #[inline]
    pub fn run_async<F: Future, P: FnOnce(&F::Output) -> Finish>(
        self,
        inner: F,
        finish: P,
    ) -> TracedFuture<F, P> {
        TracedFuture {
            inner,
            traced: (!self.span.is_noop()).then_some(self),
            finish: Some(finish),
        }
    }

    /// Runs `f` with the span active; a panic in `f` comes back as `Err`
    /// (after the span stopped being active) for the caller to record.
    fn under_span<T>(&self, f: impl FnOnce() -> T) -> std::thread::Result<T> {
        let _scope = self.span.activate();
        catch_unwind(AssertUnwindSafe(f))
    }

    fn complete_with(&self, finish: Finish) {
        self.hooked().complete_with(finish);
    }

    fn complete(&self, outcome: Outcome<'_>) {
        self.hooked().complete(outcome);
    }

    /// Records a panic of the body, then lets it continue unwinding.
    fn panicked(self, payload: Box<dyn Any + Send>) -> ! {
        self.complete(Outcome::Panicked {
            message: panic_message(&*payload),
        });
        drop(self);
        resume_unwind(payload)
    }
}

/// One traced synchronous call in progress: the id of its span on this
/// thread's scope stack (0 for none) and whether it records. Two words, so
/// it travels in registers.
pub struct TracedCall {
    id: u64,
    recording: bool,
}

impl TracedCall {
    /// A call that makes no span.
    #[inline(always)]
    pub fn disabled() -> TracedCall {
        TracedCall {
            id: 0,
            recording: false,
        }
    }

    /// Starts the span of a synchronous call: it lives on this thread's
    /// scope stack, active from now until the call ends. Under an active
    /// parent whose trace is not sampled the call makes no span at all.
    /// `references` are the call's explicit parent and `follows_from`, if
    /// it has any.
    #[inline(always)]
    pub fn start(site: &'static CallSite, references: Option<&mut References>) -> TracedCall {
        match global().start_traced(site.name, site.kind, references) {
            Some((id, recording)) => TracedCall { id, recording },
            None => TracedCall::disabled(),
        }
    }

    /// Whether the span records: only then are arguments and tags computed.
    #[inline(always)]
    pub fn is_recording(&self) -> bool {
        self.recording
    }

    /// Sets a tag from `tags(..)`.
    pub fn tag(&self, key: &'static str, value: Option<TagValue>) {
        if let Some(value) = value {
            SpanRef::local(self.id).set_tag(key, value);
        }
    }

    /// Runs the `before_call` hooks with the recorded arguments, then keeps
    /// the arguments as tags.
    #[inline]
    pub fn call<const N: usize>(
        &self,
        site: &'static CallSite,
        args: [(&'static str, Option<TagValue>); N],
    ) {
        if N == 0 && site.hooks.is_none() && global().hooks().is_empty() {
            return;
        }
        let mut args = args;
        let span = SpanRef::local(self.id);
        Hooked {
            span: &span,
            site,
            recording: self.recording,
        }
        .call(&mut args);
    }

    /// Runs the body inside the span, records how it ended, and finishes
    /// the span. With no span this is the body call alone.
    #[inline(always)]
    pub fn run_sync<R>(
        self,
        site: &'static CallSite,
        body: impl FnOnce() -> R,
        finish: impl FnOnce(&R) -> Finish,
    ) -> R {
        if self.id == 0 {
            return body();
        }
        self.run_traced(site, body, finish)
    }

    #[inline(never)]
    fn run_traced<R>(
        self,
        site: &'static CallSite,
        body: impl FnOnce() -> R,
        finish: impl FnOnce(&R) -> Finish,
    ) -> R {
        // The span is already active: it sits on top of the scope stack.
        let out = catch_unwind(AssertUnwindSafe(body));
        // The span ends with the body; what the outcome adds is recorded
        // into it before it is finished.
        let end = if self.recording { clock::now() } else { 0 };
        let span = SpanRef::local(self.id);
        let hooked = Hooked {
            span: &span,
            site,
            recording: self.recording,
        };
        match out {
            Ok(out) => {
                if self.recording {
                    hooked.complete_with(finish(&out));
                }
                global().finish_local(self.id, end);
                out
            }
            Err(payload) => {
                hooked.complete(Outcome::Panicked {
                    message: panic_message(&*payload),
                });
                global().finish_local(self.id, end);
                resume_unwind(payload)
            }
        }
    }
}

/// A call's span with what the hooks need: the `before_call` and
/// `after_call` logic both kinds of call share.
struct Hooked<'a> {
    span: &'a SpanRef,
    site: &'static CallSite,
    recording: bool,
}

impl Hooked<'_> {
    /// Runs the `before_call` hooks, then takes the arguments as tags.
    fn call(&self, args: &mut [(&'static str, Option<TagValue>)]) {
        let global_hooks = global().hooks();
        if args.is_empty() && self.site.hooks.is_none() && global_hooks.is_empty() {
            return;
        }
        if self.site.hooks.is_some() || !global_hooks.is_empty() {
            let call = Call {
                function: self.site.function,
                module_path: self.site.module_path,
                file: self.site.file,
                line: self.site.line,
                args,
            };
            for hooks in global_hooks.iter().map(|h| &**h).chain(self.site.hooks) {
                self.guard_hook("before_call", || hooks.before_call(self.span, &call));
            }
        }
        self.span.set_static_tags(args);
    }

    #[inline]
    fn complete_with(&self, finish: Finish) {
        // The common ending: nothing to record, nobody to tell.
        if finish.ret.is_none()
            && finish.error.is_none()
            && self.site.hooks.is_none()
            && global().hooks().is_empty()
        {
            return;
        }
        self.complete_with_outcome(finish);
    }

    #[inline(never)]
    fn complete_with_outcome(&self, finish: Finish) {
        if let Some(ret) = finish.ret {
            self.span.set_tag("return", ret);
        }
        match &finish.error {
            Some(error) => self.complete(Outcome::Failed {
                error_type: error.type_name,
                message: &error.message,
            }),
            None => self.complete(Outcome::Returned),
        }
    }

    /// Records the outcome and runs the `after_call` hooks, innermost first.
    fn complete(&self, outcome: Outcome<'_>) {
        if !self.recording {
            return;
        }
        match outcome {
            Outcome::Returned => {}
            Outcome::Failed {
                error_type,
                message,
            } => {
                self.span.record_error(error_type, message);
            }
            Outcome::Panicked { message } => {
                self.span.record_error("panic", message);
            }
            Outcome::Cancelled => {
                self.span.set_tag("cancelled", true);
            }
        }
        let global_hooks = global().hooks().iter().rev().map(|h| &**h);
        for hooks in self.site.hooks.into_iter().chain(global_hooks) {
            self.guard_hook("after_call", || hooks.after_call(self.span, &outcome));
        }
    }

    /// Runs one hook; a panic inside it is logged on the span, not raised.
    fn guard_hook(&self, stage: &'static str, hook: impl FnOnce()) {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(hook)) {
            self.span.log([
                ("event", TagValue::from("hook_failed")),
                ("stage", TagValue::from(stage)),
                (
                    "message",
                    TagValue::from(panic_message(&*payload).to_owned()),
                ),
            ]);
        }
    }
}

/// The text of a panic payload (`panic!` with a literal or a format).
fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&'static str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "panic with a non-string payload"
    }
}

pin_project_lite::pin_project! {
    /// The future of a traced `async fn` (or of a function returning a future).
    pub struct TracedFuture<F, P> {
        #[pin]
        inner: F,
        traced: Option<Traced>,
        finish: Option<P>,
    }

    impl<F, P> PinnedDrop for TracedFuture<F, P> {
        fn drop(this: Pin<&mut Self>) {
            if let Some(traced) = this.project().traced.take() {
                traced.complete(Outcome::Cancelled);
            }
        }
    }
}

impl<F: Future, P: FnOnce(&F::Output) -> Finish> Future for TracedFuture<F, P> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.project();
        let Some(traced) = this.traced.as_ref() else {
            return this.inner.poll(cx);
        };
        match traced.under_span(|| this.inner.poll(cx)) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(out)) => {
                if let Some(traced) = this.traced.take() {
                    if traced.is_recording()
                        && let Some(finish) = this.finish.take()
                    {
                        traced.complete_with(finish(&out));
                    }
                }
                Poll::Ready(out)
            }
            Err(payload) => match this.traced.take() {
                Some(traced) => traced.panicked(payload),
                None => resume_unwind(payload),
            },
        }
    }
}
