//! Hooks around traced calls: `before_call` runs when the span has started
//! and the arguments are known, `after_call` when the outcome is known and
//! the span is about to finish. The trait, what the hooks are shown, and
//! the runner that calls them.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::record::Field;
use crate::span::SpanRef;
use crate::tag::TagValue;

/// Code that runs around every traced call, set globally with
/// [`TracerBuilder::hooks`](crate::TracerBuilder::hooks) or per function with
/// `#[traced(hooks = PATH)]`.
///
/// Hooks run only for sampled spans. They may add tags and logs, or rename
/// the span. A hook that panics does not take the traced call down: the
/// call's own result is returned and the failure is logged on the span
/// (`event = "hook_failed"`).
///
/// ```
/// use tracekit_runtime::{Call, Hooks, Outcome, SpanRef};
///
/// struct SqlHooks;
///
/// impl Hooks for SqlHooks {
///     fn before_call(&self, span: &SpanRef, call: &Call<'_>) {
///         span.set_tag("db.system", "postgresql");
///         if let Some(table) = call.arg("table") {
///             span.set_operation_name(format!("SELECT {table}"));
///         }
///     }
///
///     fn after_call(&self, span: &SpanRef, outcome: &Outcome<'_>) {
///         span.set_tag("db.ok", !outcome.is_failure());
///     }
/// }
/// ```
pub trait Hooks: Send + Sync + 'static {
    /// Runs after the span started, before the function's body.
    fn before_call(&self, span: &SpanRef, call: &Call<'_>) {
        let _ = (span, call);
    }

    /// Runs after the body ended (or the future completed or was dropped),
    /// before the span finishes.
    fn after_call(&self, span: &SpanRef, outcome: &Outcome<'_>) {
        let _ = (span, outcome);
    }
}

/// The traced function and the arguments it recorded.
#[derive(Debug)]
pub struct Call<'a> {
    /// The function's name (not the span name, which `name = ".."` may change).
    pub function: &'static str,
    /// `module_path!()` of the function.
    pub module_path: &'static str,
    /// `file!()` of the function.
    pub file: &'static str,
    /// `line!()` of the function.
    pub line: u32,
    pub(crate) args: &'a [Field],
}

impl<'a> Call<'a> {
    /// The recorded arguments, in declaration order (skipped ones and those
    /// of types that are not recorded are absent).
    pub fn args(&self) -> impl Iterator<Item = (&'a str, &'a TagValue)> + 'a {
        self.args.iter().map(|(name, value)| (&**name, value))
    }

    /// The recorded value of argument `name`.
    pub fn arg(&self, name: &str) -> Option<&'a TagValue> {
        self.args().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

/// How a traced call ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome<'a> {
    /// The function returned (for a `Result`, an `Ok`).
    Returned,
    /// The function returned an `Err`.
    Failed {
        /// The error's type name.
        error_type: &'static str,
        /// The error's `Display` (or `Debug`) text.
        message: &'a str,
    },
    /// The function panicked; the panic keeps unwinding after the hooks.
    Panicked {
        /// The panic message.
        message: &'a str,
    },
    /// The future was dropped before it completed.
    Cancelled,
}

impl Outcome<'_> {
    /// Whether the call failed (an `Err` or a panic).
    pub fn is_failure(&self) -> bool {
        matches!(self, Outcome::Failed { .. } | Outcome::Panicked { .. })
    }
}

/// Runs the hooks of one traced call around it: the tracer's global hooks
/// and the function's own (`hooks = ..`), each guarded so that a panic in
/// a hook is logged on the span (`event = "hook_failed"`) rather than
/// raised.
pub(crate) struct Runner<'a> {
    pub(crate) span: &'a SpanRef,
    /// The function's own hooks.
    pub(crate) own: Option<&'static dyn Hooks>,
    pub(crate) recording: bool,
}

impl Runner<'_> {
    /// Runs the `before_call` hooks, global ones first.
    pub(crate) fn before_call(&self, call: &Call<'_>) {
        let global_hooks = crate::global().hooks().iter().map(|h| &**h);
        for hooks in global_hooks.chain(self.own) {
            self.guard("before_call", || hooks.before_call(self.span, call));
        }
    }

    /// Records the outcome on the span and runs the `after_call` hooks,
    /// innermost first.
    pub(crate) fn after_call(&self, outcome: Outcome<'_>) {
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
        let global_hooks = crate::global().hooks().iter().rev().map(|h| &**h);
        for hooks in self.own.into_iter().chain(global_hooks) {
            self.guard("after_call", || hooks.after_call(self.span, &outcome));
        }
    }

    /// Runs one hook; a panic inside it is logged on the span, not raised.
    fn guard(&self, stage: &'static str, hook: impl FnOnce()) {
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
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&'static str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "panic with a non-string payload"
    }
}
