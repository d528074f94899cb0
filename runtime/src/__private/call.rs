//! A traced call's lifecycle, as `#[traced]` expands it: start the span,
//! record the arguments, run the body (in a closure, or inline for
//! `#[track_caller]`), read the outcome, run the hooks, finish.

use std::any::Any;
use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use super::arg_tags::{self, ArgTags};
use super::probe::ErrorInfo;
use super::thunk::{Gather, Steps};
use crate::clock;
use crate::hooks::{Call, Hooks, Outcome, Runner, panic_message};
use crate::local::{self, References};
use crate::record::{Field, SpanKind};
use crate::redaction::SecretNames;
use crate::span::SpanRef;
use crate::tag::TagValue;
use crate::tracer::{Tracer, global, has_global_hooks, skips_unsampled_children};

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
    /// The names of the recorded arguments, in order.
    pub args: &'static [&'static str],
    /// Which of `args` are secret (see [`crate::redaction`]).
    pub secret_args: SecretNames,
}

/// What the generated code learned from the return value.
#[derive(Default)]
pub struct Finish {
    /// The error, for an `Err` (unless `err = false`).
    pub error: Option<ErrorInfo>,
    /// The `return` tag, with `ret`.
    pub ret: Option<TagValue>,
    /// The message of a panic while the value was read (in a user's
    /// `Debug`, `Display` or `ToTag`): noted on the span instead.
    pub recording_failed: Option<String>,
}

impl Finish {
    /// What a reader found: the error, and the `return` tag or the message
    /// of the panic that reading it raised.
    #[inline(always)]
    pub fn of(error: Option<ErrorInfo>, ret: Result<Option<TagValue>, String>) -> Finish {
        match ret {
            Ok(ret) => Finish {
                error,
                ret,
                recording_failed: None,
            },
            Err(message) => Finish {
                error,
                ret: None,
                recording_failed: Some(message),
            },
        }
    }

    /// Whether there is anything to record.
    #[inline(always)]
    pub(super) fn is_empty(&self) -> bool {
        self.ret.is_none() && self.error.is_none() && self.recording_failed.is_none()
    }
}

/// How generated code reads a call's outcome from the value it returned:
/// a closure, or [`Unread`] when there is nothing to read (no `Result`, no
/// `ret`), which lets the call skip the reading at compile time.
pub trait ReadOutcome<T> {
    /// Whether anything is read.
    const READS: bool = true;

    /// Reads what the call returned.
    fn read(&self, out: &T) -> Finish;
}

impl<T, F: Fn(&T) -> Finish> ReadOutcome<T> for F {
    #[inline(always)]
    fn read(&self, out: &T) -> Finish {
        self(out)
    }
}

/// Nothing to read from a call's returned value.
pub struct Unread;

impl<T> ReadOutcome<T> for Unread {
    const READS: bool = false;

    #[inline(always)]
    fn read(&self, _: &T) -> Finish {
        Finish::default()
    }
}

/// Reads the outcome of a call that returned `out`, if `recording`. The
/// reading is generic and inlined, so that a reader with nothing to find
/// compiles to nothing; the probes catch the panics of the user code they
/// run (a `Display`, `Debug` or `ToTag`).
#[inline(always)]
pub(super) fn read_outcome<T, P: ReadOutcome<T>>(recording: bool, out: &T, reader: &P) -> Finish {
    if !recording || !P::READS {
        return Finish::default();
    }
    reader.read(out)
}

/// A synchronous call's body, what it returned, and the reader of its
/// outcome: the one generic object the runtime drives through a pointer
/// (see [`Steps`]).
struct SyncRun<B, R, P> {
    body: Option<B>,
    out: Option<R>,
    reader: P,
}

impl<B: FnOnce() -> R, R, P: ReadOutcome<R>> Steps for SyncRun<B, R, P> {
    #[inline(always)]
    fn run(&mut self, call: &TracedCall, site: &'static CallSite) -> u64 {
        let Some(body) = self.body.take() else {
            return 0;
        };
        let out = self.out.insert(body());
        if !call.recording {
            return 0;
        }
        // With nothing to read and no hooks, the end stamp is all there is
        // to do: inline, where a call out would cost more than it does.
        if !P::READS && !has_hooks(site) {
            return clock::now_compact();
        }
        // Last, so a tail jump: nothing waits on its return.
        end_and_complete(out, &self.reader, call, site)
    }
}

/// Stamps the end of a recording call's span, then reads what the call
/// returned and completes the span; returns the end. Out of line and
/// generic over the value and the reader only, not the body: this is the
/// same code for every function that returns the same type (and for all
/// that have nothing to read), which the compiler keeps once.
#[inline(never)]
fn end_and_complete<R, P: ReadOutcome<R>>(
    out: &R,
    reader: &P,
    call: &TracedCall,
    site: &'static CallSite,
) -> u64 {
    // The span ends with the body; what the outcome adds is recorded
    // into it before it is finished.
    let end = clock::now_compact();
    let mut finish = ManuallyDrop::new(read_outcome(true, out, reader));
    if !finish.is_empty() {
        call.complete_read(site, &mut finish);
    } else if has_hooks(site) {
        call.complete_unread(site);
    }
    end
}

/// One traced synchronous call in progress: the id of its span on this
/// thread's scope stack (0 for none) and whether it records. Two words, so
/// it travels in registers.
///
/// It has no `Drop`: once started, a call is always ended by one of the
/// `run_*` or `finish_*` methods, as every step between the start and the
/// body (recording, hooks) catches its panics. Without drop glue, the
/// generated code holding it needs no unwinding path for it.
pub struct TracedCall {
    pub(super) id: u64,
    pub(super) recording: bool,
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
        Self::start_carried::<false>(site, references)
    }

    /// `CARRIED`: the span of an async call (see [`Tracer::start_traced`]).
    #[inline(always)]
    pub(super) fn start_carried<const CARRIED: bool>(
        site: &'static CallSite,
        references: Option<&mut References>,
    ) -> TracedCall {
        // Under an unsampled trace these two flags are all a call reads.
        if references.is_none() && skips_unsampled_children() && local::top_is_unsampled() {
            return TracedCall::disabled();
        }
        if CARRIED {
            Self::start_carried_on_stack(site, references)
        } else {
            Self::start_on_stack(site, references)
        }
    }

    /// Out of line and not generic: compiled once in this crate, and each
    /// traced function holds a call here and no more.
    #[inline(never)]
    fn start_on_stack(site: &'static CallSite, references: Option<&mut References>) -> TracedCall {
        let tracer = global();
        if references.is_none()
            && let Some(id) = tracer.starter().start_sampled_child(site.name, site.kind)
        {
            return TracedCall {
                id,
                recording: true,
            };
        }
        Self::from_started(tracer.start_traced::<false>(site.name, site.kind, references))
    }

    /// [`start_on_stack`](Self::start_on_stack) for an async call.
    #[inline(never)]
    fn start_carried_on_stack(
        site: &'static CallSite,
        references: Option<&mut References>,
    ) -> TracedCall {
        Self::from_started(global().start_traced::<true>(site.name, site.kind, references))
    }

    #[inline(always)]
    fn from_started(started: Option<(u64, bool)>) -> TracedCall {
        match started {
            Some((id, recording)) => TracedCall { id, recording },
            None => TracedCall::disabled(),
        }
    }

    /// Whether the span records: only then are arguments and tags computed.
    #[inline(always)]
    pub fn is_recording(&self) -> bool {
        self.recording
    }

    /// Records the `tags(..)` and the arguments that `write` gathers
    /// (`count` of them at most), after the `before_call` hooks, if there
    /// are any, have seen the arguments. A panic in `write` (in a user's
    /// `Debug`, `Display` or `ToTag`) is noted on the span and goes no
    /// further, so the body still runs: the tags gathered before it are
    /// kept, the arguments and the hooks skipped.
    #[inline(never)]
    pub fn record(&self, site: &'static CallSite, count: usize, write: &mut dyn Gather) {
        let mut gathered = ArgTags::for_call(count, site.args, &site.secret_args);
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| write.gather(&mut gathered))) {
            arg_tags::add_to_span(self.id, gathered.into_tags_only());
            self.note_recording_panic("arguments", &*payload);
        } else if has_hooks(site) {
            let (tags, args) = gathered.split();
            arg_tags::add_to_span(self.id, tags);
            self.call_hooks(site, args.tags());
            arg_tags::set_on_span(self.id, args);
        } else {
            arg_tags::add_to_span(self.id, gathered.into_all());
        }
    }

    /// Notes on the span that recording at `stage` panicked.
    #[cold]
    #[inline(never)]
    fn note_recording_panic(&self, stage: &'static str, payload: &(dyn Any + Send)) {
        note_recording_panic(&SpanRef::local(self.id), stage, panic_message(payload));
    }

    /// Runs the `before_call` hooks of a call with nothing to record.
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

    /// Runs the body inside the span, records how it ended, and finishes
    /// the span. With no span this is the body call alone.
    #[inline(always)]
    pub fn run_sync<R>(self, site: &'static CallSite, body: impl FnOnce() -> R) -> R {
        self.run_sync_with(site, body, Unread)
    }

    /// [`run_sync`](Self::run_sync), recording also what `reader` reads
    /// from the returned value.
    #[inline(always)]
    pub fn run_sync_reading<R>(
        self,
        site: &'static CallSite,
        body: impl FnOnce() -> R,
        reader: impl Fn(&R) -> Finish,
    ) -> R {
        self.run_sync_with(site, body, reader)
    }

    #[inline(always)]
    fn run_sync_with<R, P: ReadOutcome<R>>(
        self,
        site: &'static CallSite,
        body: impl FnOnce() -> R,
        reader: P,
    ) -> R {
        if self.id == 0 {
            return body();
        }
        let mut run = SyncRun {
            body: Some(body),
            out: None,
            reader,
        };
        self.run_steps(site, &mut run);
        match run.out {
            Some(out) => out,
            None => body_did_not_return(),
        }
    }

    /// Runs the body with the span active (on top of the scope stack),
    /// records what it returned if the span records, and finishes the
    /// span. A panic of the body is recorded, the span finished, and the
    /// panic continues. Compiled once for every function.
    #[inline(never)]
    fn run_steps(self, site: &'static CallSite, steps: &mut dyn Steps) {
        self.run_steps_inline(global(), site, steps);
    }

    /// [`run_steps`](Self::run_steps), inlined into its caller, for the
    /// global `tracer`.
    #[inline(always)]
    fn run_steps_inline(self, tracer: &Tracer, site: &'static CallSite, steps: &mut dyn Steps) {
        let end = match catch_unwind(AssertUnwindSafe(|| steps.run(&self, site))) {
            Ok(end) => end,
            Err(payload) => self.panicked(site, payload),
        };
        tracer.starter().finish_local_inline(self.id, end);
    }

    /// Ends the span of a call whose body panicked, now, and lets the
    /// panic continue: out of line, as it is the rare way out.
    #[cold]
    #[inline(never)]
    fn panicked(self, site: &'static CallSite, payload: Box<dyn Any + Send>) -> ! {
        let end = self.end_stamp();
        self.finish_panicked(site, end, payload)
    }

    /// A whole synchronous call that records nothing before its body (no
    /// arguments, no `tags(..)`, no references): the span started, the
    /// body run, the outcome read and the span finished, in one frame.
    #[inline(always)]
    pub fn run_whole<R>(site: &'static CallSite, body: impl FnOnce() -> R) -> R {
        Self::run_whole_with(site, body, Unread)
    }

    /// [`run_whole`](Self::run_whole), recording also what `reader` reads
    /// from the returned value.
    #[inline(always)]
    pub fn run_whole_reading<R>(
        site: &'static CallSite,
        body: impl FnOnce() -> R,
        reader: impl Fn(&R) -> Finish,
    ) -> R {
        Self::run_whole_with(site, body, reader)
    }

    #[inline(always)]
    fn run_whole_with<R, P: ReadOutcome<R>>(
        site: &'static CallSite,
        body: impl FnOnce() -> R,
        reader: P,
    ) -> R {
        if !crate::tracer::is_installed() {
            return body();
        }
        let mut run = SyncRun {
            body: Some(body),
            out: None,
            reader,
        };
        Self::run_whole_steps(site, &mut run);
        match run.out {
            Some(out) => out,
            None => body_did_not_return(),
        }
    }

    /// The runtime's side of [`run_whole`](Self::run_whole): compiled
    /// once, the short paths of the start and the finish inlined into it.
    #[inline(never)]
    fn run_whole_steps(site: &'static CallSite, steps: &mut dyn Steps) {
        if skips_unsampled_children() && local::top_is_unsampled() {
            steps.run(&TracedCall::disabled(), site);
            return;
        }
        let tracer = global();
        let call = match tracer.starter().start_sampled_child(site.name, site.kind) {
            Some(id) => TracedCall {
                id,
                recording: true,
            },
            None => Self::start_general(site),
        };
        if call.id == 0 {
            steps.run(&call, site);
            return;
        }
        if call.recording {
            call.before_call(site);
        }
        call.run_steps_inline(tracer, site, steps);
    }

    /// The start of a call the short path does not take.
    #[inline(never)]
    fn start_general(site: &'static CallSite) -> TracedCall {
        Self::from_started(global().start_traced::<false>(site.name, site.kind, None))
    }

    /// Starts running the body inline, for a `#[track_caller]` function
    /// (in a closure, the closure would be the caller that
    /// `Location::caller()` and panics report); the returned guard ends
    /// the span.
    #[inline(always)]
    pub fn run_inline(self, site: &'static CallSite) -> InlineCall {
        InlineCall { call: self, site }
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

    /// Records what the call returned (`finish`), runs the `after_call`
    /// hooks and finishes the span at `end`.
    #[inline(never)]
    pub(super) fn finish_returned(self, site: &'static CallSite, end: u64, finish: Finish) {
        if self.recording {
            self.complete_returned(site, finish);
        }
        global().finish_local(self.id, end);
    }

    /// Records what the call returned (`finish`) and runs the `after_call`
    /// hooks. Inline, so that a reader known to find nothing compiles to
    /// the call for the hooks alone. `finish` is held in a `ManuallyDrop`
    /// and handed on by reference: the generic code holding it then neither
    /// copies it nor carries its drop code.
    #[inline(always)]
    pub(super) fn complete_returned(&self, site: &'static CallSite, finish: Finish) {
        let mut finish = ManuallyDrop::new(finish);
        if finish.is_empty() {
            // Empty, it owns nothing to drop.
            if has_hooks(site) {
                self.complete_unread(site);
            }
        } else {
            self.complete_read(site, &mut finish);
        }
    }

    /// The ending of a call whose value had nothing to record, for the
    /// hooks.
    #[inline(never)]
    fn complete_unread(&self, site: &'static CallSite) {
        self.record_returned(site, Finish::default());
    }

    /// The ending of a call whose value had something to record, which
    /// this takes out of `finish` (and drops).
    #[inline(never)]
    fn complete_read(&self, site: &'static CallSite, finish: &mut ManuallyDrop<Finish>) {
        self.record_returned(site, std::mem::take(&mut **finish));
    }

    #[inline(never)]
    fn record_returned(&self, site: &'static CallSite, finish: Finish) {
        let span = SpanRef::local(self.id);
        self.hooked(&span, site).complete_with_outcome(finish);
    }

    /// Records a panic of the body, finishes the span at `end`, then lets
    /// the panic continue.
    pub(super) fn finish_panicked(
        self,
        site: &'static CallSite,
        end: u64,
        payload: Box<dyn Any + Send>,
    ) -> ! {
        let span = SpanRef::local(self.id);
        self.hooked(&span, site).complete(Outcome::Panicked {
            message: panic_message(&*payload),
        });
        global().finish_local(self.id, end);
        resume_unwind(payload)
    }

    /// Records a panic whose payload is out of reach (the body ran inline)
    /// and finishes the span at `end`.
    #[cold]
    fn finish_unwinding(self, site: &'static CallSite, end: u64) {
        let span = SpanRef::local(self.id);
        self.hooked(&span, site).complete(Outcome::Panicked {
            message: "panicked (the message of a panic in a #[track_caller] function is not kept)",
        });
        global().finish_local(self.id, end);
    }

    pub(super) fn finish_cancelled(self, site: &'static CallSite, end: u64) {
        let span = SpanRef::local(self.id);
        self.hooked(&span, site).complete(Outcome::Cancelled);
        global().finish_local(self.id, end);
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
    pub fn returned<R>(self, out: &R, reader: impl Fn(&R) -> Finish) {
        let mut this = std::mem::ManuallyDrop::new(self);
        let call = std::mem::replace(&mut this.call, TracedCall::disabled());
        if call.id != 0 {
            let end = call.end_stamp();
            let finish = read_outcome(call.recording, out, &reader);
            call.finish_returned(this.site, end, finish);
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
            call.finish_returned(self.site, end, Finish::default());
        }
    }
}

/// The body of a traced call neither returned nor unwound: unreachable.
#[cold]
#[inline(never)]
fn body_did_not_return() -> ! {
    unreachable!("a traced call's body neither returned nor panicked")
}

/// Whether hooks run for a call at `site`: its own, or the tracer's.
#[inline(always)]
pub(super) fn has_hooks(site: &CallSite) -> bool {
    site.hooks.is_some() || has_global_hooks()
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
