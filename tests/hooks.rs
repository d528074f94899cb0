//! `before_call` / `after_call` hooks: global ones from the tracer builder,
//! per-function ones from `hooks = PATH`.

use std::sync::{Mutex, Once};

use tracekit::{Call, Hooks, Outcome, SpanRef, TagValue, testing, traced};

/// What the hooks saw, per test (keyed by the `case` argument).
static EVENTS: Mutex<Vec<(u32, String)>> = Mutex::new(Vec::new());

fn record(case: u32, event: impl Into<String>) {
    EVENTS.lock().unwrap().push((case, event.into()));
}

fn events(case: u32) -> Vec<String> {
    EVENTS
        .lock()
        .unwrap()
        .iter()
        .filter(|(c, _)| *c == case)
        .map(|(_, e)| e.clone())
        .collect()
}

fn case_of(call: &Call<'_>) -> u32 {
    call.arg("case").and_then(TagValue::as_i64).unwrap_or(0) as u32
}

fn describe(outcome: &Outcome<'_>) -> String {
    match outcome {
        Outcome::Returned => "returned".into(),
        Outcome::Failed { message, .. } => format!("failed: {message}"),
        Outcome::Panicked { message } => format!("panicked: {message}"),
        Outcome::Cancelled => "cancelled".into(),
    }
}

struct GlobalHooks;

impl Hooks for GlobalHooks {
    fn before_call(&self, span: &SpanRef, call: &Call<'_>) {
        let case = case_of(call);
        span.set_tag("global.case", case);
        record(case, format!("global before {}", call.function));
    }

    fn after_call(&self, span: &SpanRef, outcome: &Outcome<'_>) {
        let case = span_case(span);
        record(case, format!("global after {}", describe(outcome)));
    }
}

/// The case number the global hook stored on the span.
fn span_case(span: &SpanRef) -> u32 {
    // Spans expose no tag getter; the case travels in baggage.
    span.baggage_item("case")
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

struct SqlHooks;

impl Hooks for SqlHooks {
    fn before_call(&self, span: &SpanRef, call: &Call<'_>) {
        let case = case_of(call);
        span.set_baggage_item("case", case.to_string());
        let table = call.arg("table").and_then(TagValue::as_str).unwrap_or("?");
        span.set_operation_name(format!("SELECT {table}"));
        span.set_tag("db.system", "postgresql");
        let args: Vec<String> = call
            .args()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        record(
            case,
            format!(
                "sql before {} [{}] at {}:{}",
                call.function,
                args.join(" "),
                call.file,
                call.line
            ),
        );
    }

    fn after_call(&self, span: &SpanRef, outcome: &Outcome<'_>) {
        record(span_case(span), format!("sql after {}", describe(outcome)));
    }
}

struct PanickingHooks;

impl Hooks for PanickingHooks {
    fn before_call(&self, span: &SpanRef, call: &Call<'_>) {
        span.set_baggage_item("case", case_of(call).to_string());
        panic!("hook bug");
    }

    fn after_call(&self, _: &SpanRef, _: &Outcome<'_>) {
        panic!("hook bug after");
    }
}

fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let guard = tracekit::Tracer::builder()
            .hooks(GlobalHooks)
            .exporter(tracekit::export::Memory::new())
            .install();
        std::mem::forget(guard);
    });
}

#[traced(hooks = SqlHooks)]
fn query(case: u32, table: &str, password: &str) -> Result<u32, String> {
    record(case, "body");
    if table == "missing" {
        Err(format!("no table {table}"))
    } else {
        Ok(1)
    }
}

#[test]
fn hooks_run_before_and_after_the_body_global_outside_local() {
    install();
    let (_, spans) = testing::capture(|| query(1, "users", "hunter2"));
    let events = events(1);
    assert_eq!(events.len(), 5, "{events:?}");
    assert_eq!(events[0], "global before query");
    assert!(
        events[1].starts_with(
            "sql before query [case=1 table=users password=[redacted]] at tests/hooks.rs:"
        ),
        "{}",
        events[1]
    );
    assert_eq!(
        events[2..],
        ["body", "sql after returned", "global after returned"]
    );
    assert_eq!(spans[0].name, "SELECT users", "a hook renamed the span");
    assert_eq!(
        spans[0].tag("db.system").and_then(TagValue::as_str),
        Some("postgresql")
    );
    assert_eq!(spans[0].tag("global.case"), Some(&TagValue::I64(1)));
}

#[test]
fn after_call_sees_the_error() {
    install();
    let _ = testing::capture(|| query(2, "missing", "x"));
    assert_eq!(events(2)[3], "sql after failed: no table missing");
}

#[traced(hooks = SqlHooks)]
fn panicking_query(case: u32, table: &str) {
    record(case, "body");
    panic!("query crashed");
}

#[test]
fn after_call_sees_the_panic_before_it_continues() {
    install();
    let (caught, _) = testing::capture(|| std::panic::catch_unwind(|| panicking_query(3, "t")));
    assert!(caught.is_err());
    assert_eq!(events(3)[3], "sql after panicked: query crashed");
}

#[traced(hooks = SqlHooks)]
async fn slow_query(case: u32, table: &str) {
    record(case, "body");
    tokio::time::sleep(std::time::Duration::from_secs(60)).await;
}

#[tokio::test]
async fn after_call_sees_a_cancellation() {
    install();
    let _ = testing::capture_async(async {
        let _ = tokio::time::timeout(std::time::Duration::from_millis(5), slow_query(4, "t")).await;
    })
    .await;
    assert_eq!(events(4)[3], "sql after cancelled");
}

#[traced(hooks = PanickingHooks)]
fn guarded(case: u32) -> u32 {
    record(case, "body");
    case * 10
}

#[test]
fn a_panicking_hook_does_not_take_the_call_down_and_is_recorded() {
    install();
    let (out, spans) = testing::capture(|| guarded(5));
    assert_eq!(out, 50, "the call's own result is returned");
    assert!(events(5).contains(&"body".to_owned()));
    let failures: Vec<_> = spans[0]
        .logs
        .iter()
        .filter(|log| log.field("event").and_then(TagValue::as_str) == Some("hook_failed"))
        .map(|log| {
            (
                log.field("stage").unwrap().to_string(),
                log.field("message").unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        failures,
        [
            ("before_call".to_owned(), "hook bug".to_owned()),
            ("after_call".to_owned(), "hook bug after".to_owned())
        ]
    );
    assert!(!spans[0].is_error(), "the call itself succeeded");
}
