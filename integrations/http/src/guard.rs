//! Users' hooks run guarded: a panic inside one is logged on the span
//! (`event = "hook_failed"`, its stage and message, as `#[traced]` hooks
//! do) and goes no further, so a faulty hook never fails a request.

use std::panic::{AssertUnwindSafe, catch_unwind};

use tracekit_runtime::{SpanRef, TagValue};

/// Runs `hook`, the hook of `stage`, for `span`.
pub(crate) fn run_hook(span: &SpanRef, stage: &'static str, hook: impl FnOnce()) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(hook)) {
        let message = payload
            .downcast_ref::<&'static str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("a panic without a message");
        span.log([
            ("event", TagValue::from("hook_failed")),
            ("stage", TagValue::from(stage)),
            ("message", TagValue::from(message.to_owned())),
        ]);
    }
}
