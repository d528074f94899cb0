//! Tracing never changes what a function does: a user's `Debug`,
//! `Display` or `ToTag` that panics while a tag, an argument, the return
//! value or an error is recorded is caught and noted on the span
//! (`event = "recording_failed"`), the body runs, and the call returns its
//! value.

use std::fmt;

use tracekit::{SpanRecord, TagValue, ToTag, testing, traced};

#[path = "support/poll.rs"]
mod poll;
use poll::poll_once;

/// Every way of printing it panics.
#[derive(PartialEq)]
struct Booby(u32);

impl fmt::Display for Booby {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("Display of Booby({}) exploded", self.0)
    }
}

impl fmt::Debug for Booby {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("Debug of Booby({}) exploded", self.0)
    }
}

impl ToTag for Booby {
    fn to_tag(&self) -> Option<TagValue> {
        panic!("ToTag of Booby({}) exploded", self.0)
    }
}

fn note(span: &SpanRecord) -> Option<(&str, &str)> {
    let log = span.log_event("recording_failed")?;
    Some((
        log.field("stage")?.as_str()?,
        log.field("message")?.as_str()?,
    ))
}

fn quiet<R>(f: impl FnOnce() -> R) -> R {
    // The panics below are caught inside the traced call; keep their
    // reports out of the test output.
    std::panic::set_hook(Box::new(|_| {}));
    let out = f();
    let _ = std::panic::take_hook();
    out
}

#[traced(tags(shown = %value))]
fn displayed(value: &Booby) -> u32 {
    value.0 + 1
}

#[traced(tags(debugged = ?value))]
fn debugged(value: &Booby) -> u32 {
    value.0 + 2
}

#[traced]
fn tagged(value: Booby) -> u32 {
    value.0 + 3
}

#[traced(ret)]
fn returns(n: u32) -> Booby {
    Booby(n)
}

#[traced]
fn fails(n: u32) -> Result<u32, Booby> {
    Err(Booby(n))
}

#[traced(ret)]
async fn returns_later(n: u32) -> Booby {
    Booby(n)
}

#[test]
fn a_panicking_formatter_in_a_tag_or_argument_leaves_the_call_alone() {
    let (outs, spans) = quiet(|| {
        testing::capture(|| (displayed(&Booby(1)), debugged(&Booby(2)), tagged(Booby(3))))
    });
    assert_eq!(outs, (2, 4, 6), "every body ran and returned");
    assert_eq!(spans.len(), 3);
    for (span, expected) in spans.iter().zip(["Display", "Debug", "ToTag"]) {
        let (stage, message) = note(span).unwrap_or_else(|| panic!("{span:?}"));
        assert_eq!(stage, "arguments");
        assert!(message.starts_with(expected), "{message}");
        assert!(!span.is_error(), "the call itself did not fail");
    }
}

#[test]
fn a_panicking_formatter_of_the_return_value_or_error_keeps_the_value() {
    let (outs, spans) =
        quiet(|| testing::capture(|| (returns(4), fails(5), poll_once(returns_later(6)))));
    assert!(outs.0 == Booby(4) && outs.1 == Err(Booby(5)) && outs.2 == Booby(6));
    assert_eq!(spans.len(), 3);
    for span in [&spans[0], &spans[2]] {
        let (stage, message) = note(span).unwrap_or_else(|| panic!("{span:?}"));
        assert_eq!(stage, "outcome");
        assert!(message.contains("exploded"), "{message}");
    }
    // The failed call is still a failure, its message saying what happened.
    let failed = &spans[1];
    assert!(failed.is_error());
    let log = failed.log_event("error").expect("the error log");
    let message = log
        .field("message")
        .and_then(TagValue::as_str)
        .unwrap_or("");
    assert!(
        message.contains("formatter panicked") && message.contains("exploded"),
        "{message}"
    );
}
