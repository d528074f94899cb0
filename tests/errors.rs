//! A returned `Err` marks the span as failed, the OpenTracing way.

use std::fmt;

use tracekit::{TagValue, testing, traced};

#[derive(Debug)]
enum ShopError {
    Declined { code: u16 },
}

impl fmt::Display for ShopError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShopError::Declined { code } => write!(f, "card declined ({code})"),
        }
    }
}

#[traced]
fn charge(amount: u32) -> Result<u32, ShopError> {
    if amount > 100 {
        Err(ShopError::Declined { code: 51 })
    } else {
        Ok(amount)
    }
}

#[test]
fn an_err_sets_the_error_tag_and_logs_kind_and_message() {
    let (out, spans) = testing::capture(|| charge(500));
    assert!(out.is_err());
    let span = &spans[0];
    assert!(span.is_error());
    assert_eq!(span.tag("error"), Some(&TagValue::Bool(true)));
    assert_eq!(
        span.tag("error.type").and_then(TagValue::as_str),
        Some("errors::ShopError")
    );
    let log = span.log_event("error").expect("an error log");
    assert_eq!(
        log.field("error.kind").and_then(TagValue::as_str),
        Some("errors::ShopError")
    );
    assert_eq!(
        log.field("message").and_then(TagValue::as_str),
        Some("card declined (51)")
    );
}

#[test]
fn an_ok_is_not_an_error() {
    let (_, spans) = testing::capture(|| charge(5));
    assert!(!spans[0].is_error());
    assert!(spans[0].logs.is_empty());
    assert_eq!(spans[0].tag("error"), None);
}

#[derive(Debug)]
struct DebugOnly(#[allow(dead_code)] u8);

#[traced]
fn debug_error() -> Result<(), DebugOnly> {
    Err(DebugOnly(3))
}

#[traced]
fn io_alias() -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::NotFound,
        "no such file",
    ))
}

type AppResult<T> = Result<T, String>;

#[traced]
fn own_alias() -> AppResult<()> {
    Err("boom".to_owned())
}

#[test]
fn errors_without_display_use_debug_and_result_aliases_are_recognised() {
    let (_, spans) = testing::capture(|| {
        let _ = debug_error();
        let _ = io_alias();
        let _ = own_alias();
    });
    let message = |i: usize| {
        spans[i]
            .log_event("error")
            .and_then(|l| l.field("message"))
            .and_then(TagValue::as_str)
            .map(str::to_owned)
    };
    assert_eq!(message(0).as_deref(), Some("DebugOnly(3)"));
    assert_eq!(message(1).as_deref(), Some("no such file"));
    assert_eq!(
        spans[1].tag("error.type").and_then(TagValue::as_str),
        Some("std::io::error::Error")
    );
    assert_eq!(message(2).as_deref(), Some("boom"));
}

#[traced(err = false)]
fn expected_miss(key: &str) -> Result<u32, String> {
    Err(format!("{key} not cached"))
}

#[test]
fn err_false_leaves_the_span_unmarked() {
    let (_, spans) = testing::capture(|| expected_miss("k"));
    assert!(!spans[0].is_error());
    assert!(spans[0].logs.is_empty());
}

#[traced]
async fn async_failure() -> Result<(), ShopError> {
    tokio::task::yield_now().await;
    Err(ShopError::Declined { code: 5 })
}

#[tokio::test]
async fn an_async_err_is_recorded_when_the_future_completes() {
    let (_, spans) = testing::capture_async(async { async_failure().await }).await;
    assert!(spans[0].is_error());
    let log = spans[0].log_event("error").unwrap();
    assert_eq!(
        log.field("message").and_then(TagValue::as_str),
        Some("card declined (5)")
    );
}
