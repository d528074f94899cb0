//! A traced call's lifecycle, as `#[traced]` expands it: start the span,
//! record the arguments, run the body (in a closure, or inline for
//! `#[track_caller]`), read the outcome, run the hooks, finish.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use super::probe::ErrorInfo;
use crate::clock;
use crate::hooks::{Call, Hooks, Outcome, Runner, panic_message};
use crate::record::{Field, SpanKind};
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
    pub(super) fn is_empty(&self) -> bool {
        self.ret.is_none() && self.error.is_none() && self.recording_failed.is_none()
    }
}

/// Runs `read` (the generated code's look at the returned value); a panic
/// there is caught and becomes a note, so the call still returns its
/// value.
pub(super) fn read_outcome(read: impl FnOnce() -> Finish) -> Finish {
    catch_unwind(AssertUnwindSafe(read)).unwrap_or_else(|payload| Finish {
        recording_failed: Some(panic_message(&*payload).to_owned()),
        ..Finish::default()
    })
}

/// One traced synchronous call in progress: the id of its span on this
/// thread's scope stack (0 for none) and whether it records. Two words, so
/// it travels in registers.
pub struct TracedCall {
    pub(super) id: u64,
    pub(super) recording: bool,
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
    pub(super) fn start_on_stack<const CARRIED: bool>(
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

    /// Runs the `before_call` hooks of a call without arguments to record.
    #[inline(always)]
    pub fn before_call(&self, site: &'static CallSite) {
        if has_hooks(site) {
            self.call_hooks(site, &[]);
        }
    }

    /// Runs the `before_call` hooks with `args`: not generic, compiled
    /// once.
    #[inline(never)]
    fn call_hooks(&self, site: &'static CallSite, args: &[Field]) {
        let span = SpanRef::local(self.id);
        self.hooked(&span, site).before_call(args);
    }

    /// Keeps the arguments `write` gives as tags (`count` of them at most),
    /// after the `before_call` hooks, if there are any, have seen them.
    #[inline(always)]
    pub fn record_args(
        &self,
        site: &'static CallSite,
        count: usize,
        write: impl FnOnce(&mut super::ArgTags),
    ) {
        let args = super::arg_tags::gather(count, write);
        if has_hooks(site) {
            self.call_hooks(site, &args.tags);
            super::arg_tags::set_on_span(self.id, args);
        } else {
            super::arg_tags::add_to_span(self.id, args);
        }
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
    pub(super) fn end_stamp(&self) -> u64 {
        clock::now_if(self.recording)
    }

    fn hooked<'a>(&self, span: &'a SpanRef, site: &'static CallSite) -> Hooked<'a> {
        Hooked {
            runner: Runner {
                span,
                own: site.hooks,
                recording: self.recording,
            },
            site,
        }
    }

    /// Records what the call returned (`finish` reads it), runs the
    /// `after_call` hooks and finishes the span at `end`.
    #[inline]
    pub(super) fn finish_returned(
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
    pub(super) fn finish_panicked(
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

    pub(super) fn finish_cancelled(mut self, site: &'static CallSite, end: u64) {
        let span = SpanRef::local(self.id);
        self.hooked(&span, site).complete(Outcome::Cancelled);
        global().finish_local(std::mem::take(&mut self.id), end);
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

/// A call's span with what the hooks need, for the `before_call` and
/// `after_call` steps: the hook runner, and the call site it describes.
pub(super) struct Hooked<'a> {
    runner: Runner<'a>,
    site: &'static CallSite,
}

impl Hooked<'_> {
    /// Runs the `before_call` hooks with the call's arguments.
    fn before_call(&self, args: &[Field]) {
        self.runner.before_call(&Call {
            function: self.site.function,
            module_path: self.site.module_path,
            file: self.site.file,
            line: self.site.line,
            args,
        });
    }

    /// Records what the call returned and runs the `after_call` hooks.
    pub(super) fn complete_with_outcome(&self, finish: Finish) {
        if let Some(message) = finish.recording_failed {
            note_recording_panic(self.runner.span, "outcome", &message);
        }
        if let Some(ret) = finish.ret {
            self.runner.span.set_tag("return", ret);
        }
        match &finish.error {
            Some(error) => self.complete(Outcome::Failed {
                error_type: error.type_name,
                message: &error.message,
            }),
            None => self.complete(Outcome::Returned),
        }
    }

    /// Records the outcome and runs the `after_call` hooks.
    pub(super) fn complete(&self, outcome: Outcome<'_>) {
        self.runner.after_call(outcome);
    }
}
