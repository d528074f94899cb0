//! What `#[traced]` expands to calls: start the span, record arguments, run
//! hooks around the body, record the outcome, finish.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use super::probe::ErrorInfo;
use crate::clock;
use crate::hooks::{Call, Hooks, Outcome};
use crate::live::LiveSpan;
use crate::local;
use crate::record::SpanKind;
use crate::span::{References, SpanRef};
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

/// What the generated code learned from the return value.
#[derive(Default)]
pub struct Finish {
    /// The error, for an `Err` (unless `err = false`).
    pub error: Option<ErrorInfo>,
    /// The `return` tag, with `ret`.
    pub ret: Option<TagValue>,
    /// The message of a panic while the value was read (in a user's
    /// `Debug` or `Display`): noted on the span instead.
    pub recording_failed: Option<String>,
}

impl Finish {
    /// Whether there is anything to record.
    fn is_empty(&self) -> bool {
        self.ret.is_none() && self.error.is_none() && self.recording_failed.is_none()
    }
}

/// Runs `read` (the generated code's look at the returned value); a panic
/// there is caught and becomes a note, so the call still returns its
/// value.
fn read_outcome(read: impl FnOnce() -> Finish) -> Finish {
    catch_unwind(AssertUnwindSafe(read)).unwrap_or_else(|payload| Finish {
        recording_failed: Some(panic_message(&*payload).to_owned()),
        ..Finish::default()
    })
}

/// One traced async call (or call returning a future) in progress. Its
/// span starts on this thread's scope stack, like a synchronous call's; the
/// future it returns then carries the span's state and makes it active on
/// whichever thread polls it, for the length of each poll (lent, and pushed
/// onto the stack only when something there needs it: see `local::lend`).
/// No lock and no shared allocation: the state has one owner at a time.
pub struct Traced {
    call: TracedCall,
    site: &'static CallSite,
}

impl Traced {
    /// A call made while no tracer is installed.
    #[inline(always)]
    pub fn disabled(site: &'static CallSite) -> Traced {
        Traced {
            call: TracedCall::disabled(),
            site,
        }
    }

    /// Starts the span of an async call on the global tracer (see
    /// [`TracedCall::start`]).
    #[inline]
    pub fn start(site: &'static CallSite, references: Option<&mut References>) -> Traced {
        Traced {
            call: TracedCall::start_on_stack::<true>(site, references),
            site,
        }
    }

    /// Whether the span records: only then are arguments and tags computed.
    #[inline]
    pub fn is_recording(&self) -> bool {
        self.call.recording
    }

    /// Records the tags and arguments `write` computes (see
    /// [`TracedCall::record`]).
    #[inline(always)]
    pub fn record(&self, write: impl FnOnce()) {
        self.call.record(write);
    }

    /// Sets a tag from `tags(..)`.
    pub fn tag(&self, key: &'static str, value: Option<TagValue>) {
        self.call.tag(key, value);
    }

    /// Runs the `before_call` hooks with the recorded arguments, then keeps
    /// the arguments as tags.
    #[inline]
    pub fn call<const N: usize>(&self, args: [(&'static str, Option<TagValue>); N]) {
        self.call.call(self.site, args);
    }

    /// Keeps the arguments `write` gives as tags (see
    /// [`TracedCall::record_args`]).
    #[inline]
    pub fn record_args(&self, count: usize, write: impl FnOnce(&mut super::ArgTags)) {
        self.call.record_args(count, write);
    }

    /// Runs `construct` (a body that builds a future) inside the span, then
    /// keeps the span open until the future completes.
    pub fn run_future<F: Future, P: FnOnce(&F::Output) -> Finish>(
        self,
        construct: impl FnOnce() -> F,
        finish: P,
    ) -> TracedFuture<F, P> {
        if self.call.id == 0 {
            return self.run_async(construct(), finish);
        }
        // The span is active: it is on top of the stack.
        match catch_unwind(AssertUnwindSafe(construct)) {
            Ok(inner) => self.run_async(inner, finish),
            Err(payload) => {
                let end = self.call.end_stamp();
                self.call.finish_panicked(self.site, end, payload)
            }
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
            parked: self.call.park(self.site),
            finish: Some(finish),
        }
    }
}

/// An async call's span between polls: its state, off any stack.
struct Parked {
    live: Box<LiveSpan>,
    site: &'static CallSite,
}

impl Parked {
    /// Ends a future dropped before it completed: `cancelled = true`, the
    /// `after_call` hooks, finished.
    fn cancel(mut self) {
        let recording = self.live.recording;
        // Tagged first, so that a span finished without its hooks (during
        // thread teardown) says so too.
        if recording {
            self.live.set_tag("cancelled".into(), TagValue::Bool(true));
        }
        let end = clock::now_if(recording);
        match local::lend(self.live) {
            Ok(lent) => {
                if let Some(call) = settle(lent, recording, end) {
                    call.finish_cancelled(self.site, end);
                }
            }
            Err(live) => local::finish_carried(live, end, global().pipeline()),
        }
    }
}

/// One traced synchronous call in progress: the id of its span on this
/// thread's scope stack (0 for none) and whether it records. Two words, so
/// it travels in registers.
pub struct TracedCall {
    id: u64,
    recording: bool,
}

impl Drop for TracedCall {
    /// A call abandoned before its body ran (a panic while its arguments
    /// were recorded) still takes its span off the stack.
    #[inline(always)]
    fn drop(&mut self) {
        if self.id != 0 {
            self.abandon();
        }
    }
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
        Self::start_on_stack::<false>(site, references)
    }

    /// `CARRIED`: the span of an async call (see [`Tracer::start_traced`]).
    #[inline(always)]
    fn start_on_stack<const CARRIED: bool>(
        site: &'static CallSite,
        references: Option<&mut References>,
    ) -> TracedCall {
        match global().start_traced::<CARRIED>(site.name, site.kind, references) {
            Some((id, recording)) => TracedCall { id, recording },
            None => TracedCall::disabled(),
        }
    }

    /// Whether the span records: only then are arguments and tags computed.
    #[inline(always)]
    pub fn is_recording(&self) -> bool {
        self.recording
    }

    /// Records the tags and arguments `write` computes; a panic there (in
    /// a user's `Debug`, `Display` or `ToTag`) is noted on the span and
    /// goes no further, so the body still runs.
    #[inline(always)]
    pub fn record(&self, write: impl FnOnce()) {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(write)) {
            self.note_recording_panic("arguments", &*payload);
        }
    }

    /// Notes on the span that recording at `stage` panicked.
    #[cold]
    #[inline(never)]
    fn note_recording_panic(&self, stage: &'static str, payload: &(dyn Any + Send)) {
        note_recording_panic(&SpanRef::local(self.id), stage, panic_message(payload));
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
        if N == 0 && !has_hooks(site) {
            return;
        }
        let mut args = args;
        let span = SpanRef::local(self.id);
        self.hooked(&span, site).call(&mut args);
    }

    /// Keeps the arguments `write` gives as tags, for a call with no hooks
    /// (see [`has_hooks`]); `count` is how many there are at most.
    #[inline(always)]
    pub fn record_args(&self, count: usize, write: impl FnOnce(&mut super::ArgTags)) {
        super::arg_tags::record_args(self.id, count, write);
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
        let end = self.end_stamp();
        match out {
            Ok(out) => {
                self.finish_returned(site, end, || finish(&out));
                out
            }
            Err(payload) => self.finish_panicked(site, end, payload),
        }
    }

    /// Starts running the body inline, for a `#[track_caller]` function
    /// (in a closure, the closure would be the caller that
    /// `Location::caller()` and panics report); the returned guard ends
    /// the span.
    #[inline(always)]
    pub fn run_inline(self, site: &'static CallSite) -> InlineCall {
        InlineCall { call: self, site }
    }

    #[cold]
    #[inline(never)]
    fn abandon(&mut self) {
        global().finish_local(std::mem::take(&mut self.id), self.end_stamp());
    }

    /// When the span ends: now, if it records.
    #[inline]
    fn end_stamp(&self) -> u64 {
        clock::now_if(self.recording)
    }

    fn hooked<'a>(&self, span: &'a SpanRef, site: &'static CallSite) -> Hooked<'a> {
        Hooked {
            span,
            site,
            recording: self.recording,
        }
    }

    /// Records what the call returned (`finish` reads it), runs the
    /// `after_call` hooks and finishes the span at `end`.
    #[inline]
    fn finish_returned(
        mut self,
        site: &'static CallSite,
        end: u64,
        finish: impl FnOnce() -> Finish,
    ) {
        if self.recording {
            let finish = read_outcome(finish);
            // The common ending: nothing to record, nobody to tell.
            if !finish.is_empty() || has_hooks(site) {
                self.complete_returned(site, finish);
            }
        }
        global().finish_local(std::mem::take(&mut self.id), end);
    }

    #[inline(never)]
    fn complete_returned(&self, site: &'static CallSite, finish: Finish) {
        let span = SpanRef::local(self.id);
        self.hooked(&span, site).complete_with_outcome(finish);
    }

    /// Records a panic of the body, finishes the span at `end`, then lets
    /// the panic continue.
    fn finish_panicked(
        mut self,
        site: &'static CallSite,
        end: u64,
        payload: Box<dyn Any + Send>,
    ) -> ! {
        let span = SpanRef::local(self.id);
        self.hooked(&span, site).complete(Outcome::Panicked {
            message: panic_message(&*payload),
        });
        global().finish_local(std::mem::take(&mut self.id), end);
        resume_unwind(payload)
    }

    /// Records a panic whose payload is out of reach (the body ran inline)
    /// and finishes the span at `end`.
    #[cold]
    fn finish_unwinding(mut self, site: &'static CallSite, end: u64) {
        let span = SpanRef::local(self.id);
        self.hooked(&span, site).complete(Outcome::Panicked {
            message: "panicked (the message of a panic in a #[track_caller] function is not kept)",
        });
        global().finish_local(std::mem::take(&mut self.id), end);
    }

    fn finish_cancelled(mut self, site: &'static CallSite, end: u64) {
        let span = SpanRef::local(self.id);
        self.hooked(&span, site).complete(Outcome::Cancelled);
        global().finish_local(std::mem::take(&mut self.id), end);
    }

    /// Takes the span off this thread's stack, to travel with a future.
    #[inline]
    fn park(mut self, site: &'static CallSite) -> Option<Parked> {
        let live = local::take_carried(std::mem::take(&mut self.id))?;
        Some(Parked { live, site })
    }
}

/// The span of a `#[track_caller]` function's call while its body runs
/// inline: [`returned`](Self::returned) records the value the body ended
/// with; dropped without it, the body panicked (recorded as a panic, whose
/// message cannot be read outside `catch_unwind`) or left early through
/// `return` or `?` (recorded as returned, its value unseen).
pub struct InlineCall {
    call: TracedCall,
    site: &'static CallSite,
}

impl InlineCall {
    /// Records what the body ended with and finishes the span.
    #[inline(always)]
    pub fn returned<R>(self, out: &R, finish: impl FnOnce(&R) -> Finish) {
        let mut this = std::mem::ManuallyDrop::new(self);
        let call = std::mem::replace(&mut this.call, TracedCall::disabled());
        if call.id != 0 {
            let end = call.end_stamp();
            call.finish_returned(this.site, end, || finish(out));
        }
    }
}

impl Drop for InlineCall {
    fn drop(&mut self) {
        let call = std::mem::replace(&mut self.call, TracedCall::disabled());
        if call.id == 0 {
            return;
        }
        let end = call.end_stamp();
        if std::thread::panicking() {
            call.finish_unwinding(self.site, end);
        } else {
            call.finish_returned(self.site, end, Finish::default);
        }
    }
}

/// Whether hooks run for a call at `site`: then its arguments go through
/// `call`, which shows them to `before_call`; else through `record_args`.
#[inline]
pub fn has_hooks(site: &CallSite) -> bool {
    site.hooks.is_some() || !global().hooks().is_empty()
}

/// A call's span with what the hooks need, for the `before_call` and
/// `after_call` steps.
struct Hooked<'a> {
    span: &'a SpanRef,
    site: &'static CallSite,
    recording: bool,
}

impl Hooked<'_> {
    /// Runs the `before_call` hooks, then takes the arguments as tags.
    fn call(&self, args: &mut [(&'static str, Option<TagValue>)]) {
        if has_hooks(self.site) {
            let call = Call {
                function: self.site.function,
                module_path: self.site.module_path,
                file: self.site.file,
                line: self.site.line,
                args,
            };
            let global_hooks = global().hooks().iter().map(|h| &**h);
            for hooks in global_hooks.chain(self.site.hooks) {
                self.guard_hook("before_call", || hooks.before_call(self.span, &call));
            }
        }
        self.span.set_static_tags(args);
    }

    /// Records what the call returned and runs the `after_call` hooks.
    fn complete_with_outcome(&self, finish: Finish) {
        if let Some(message) = finish.recording_failed {
            note_recording_panic(self.span, "outcome", &message);
        }
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

/// Notes on `span` that recording at `stage` panicked (in a user's
/// formatter): a log with `event = "recording_failed"`, the stage and the
/// panic's message.
fn note_recording_panic(span: &SpanRef, stage: &'static str, message: &str) {
    span.log([
        ("event", TagValue::from("recording_failed")),
        ("stage", TagValue::from(stage)),
        ("message", TagValue::from(message.to_owned())),
    ]);
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
        parked: Option<Parked>,
        finish: Option<P>,
    }

    impl<F, P> PinnedDrop for TracedFuture<F, P> {
        fn drop(this: Pin<&mut Self>) {
            if let Some(parked) = this.project().parked.take() {
                parked.cancel();
            }
        }
    }
}

impl<F: Future, P: FnOnce(&F::Output) -> Finish> Future for TracedFuture<F, P> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.project();
        let Some(Parked { live, site }) = this.parked.take() else {
            return this.inner.poll(cx);
        };
        let recording = live.recording;
        let lent = match local::lend(live) {
            Ok(lent) => lent,
            // No stack on this thread any more: poll without the span.
            Err(live) => {
                *this.parked = Some(Parked { live, site });
                return this.inner.poll(cx);
            }
        };
        match catch_unwind(AssertUnwindSafe(|| this.inner.poll(cx))) {
            Ok(Poll::Pending) => {
                *this.parked = lent.take_back().map(|live| Parked { live, site });
                Poll::Pending
            }
            Ok(Poll::Ready(out)) => {
                let end = clock::now_if(recording);
                let finish = this.finish.take();
                let outcome = recording
                    .then(|| finish.map_or_else(Finish::default, |f| read_outcome(|| f(&out))));
                finish_lent(lent, recording, site, end, outcome);
                Poll::Ready(out)
            }
            Err(payload) => {
                let end = clock::now_if(recording);
                if let Some(call) = settle(lent, recording, end) {
                    call.finish_panicked(site, end, payload);
                }
                resume_unwind(payload)
            }
        }
    }
}

/// Finishes a returned async call's span at `end`. `outcome` is what the
/// call returned, for a recording span. With nothing to record and no
/// hooks, a span no one pushed during the last poll is finished from the
/// future's hands, without a visit to the stack.
fn finish_lent(
    lent: local::Lent,
    recording: bool,
    site: &'static CallSite,
    end: u64,
    outcome: Option<Finish>,
) {
    let plain = outcome
        .as_ref()
        .is_none_or(|f| f.is_empty() && !has_hooks(site));
    let lent = if plain {
        match lent.finish(end, global().pipeline()) {
            Ok(()) => return,
            Err(lent) => lent,
        }
    } else {
        lent
    };
    if let Some(call) = settle(lent, recording, end) {
        call.finish_returned(site, end, || outcome.unwrap_or_default());
    }
}

/// The call of a lent span, put on the stack for the endings that name it
/// there. During thread teardown there is no stack: the span is finished
/// at `end` without its outcome, rather than lost.
fn settle(lent: local::Lent, recording: bool, end: u64) -> Option<TracedCall> {
    match lent.settle() {
        Ok(id) => Some(TracedCall { id, recording }),
        Err(live) => {
            if let Some(live) = live {
                local::finish_carried(live, end, global().pipeline());
            }
            None
        }
    }
}
