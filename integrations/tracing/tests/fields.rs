//! What a `tracing` span and its events become: typed tags, fields
//! recorded later, the `otel.*` fields, failures (an `error` field,
//! `#[instrument(err)]`, `otel.status_code`), events as logs, busy and idle
//! time, where the span was made.

use tracekit::{SpanKind, SpanRecord, TagValue, testing};
use tracing_subscriber::layer::SubscriberExt;

fn spans_of(layer: tracekit_tracing::TracekitLayer, f: impl FnOnce()) -> Vec<SpanRecord> {
    let subscriber = tracing_subscriber::registry().with(layer);
    testing::capture(|| tracing::subscriber::with_default(subscriber, f)).1
}

fn named<'a>(spans: &'a [SpanRecord], name: &str) -> &'a SpanRecord {
    spans
        .iter()
        .find(|span| span.name == name)
        .unwrap_or_else(|| panic!("no span {name} in {spans:?}"))
}

#[derive(Debug)]
struct Order {
    #[expect(dead_code, reason = "read by its Debug")]
    id: u32,
}

#[test]
fn fields_are_typed_tags_recorded_at_the_start_or_later() {
    let spans = spans_of(tracekit_tracing::layer(), || {
        let order = Order { id: 7 };
        let span = tracing::info_span!(
            "checkout",
            items = 3u64,
            total = 12.5,
            paid = false,
            user = "ada",
            order = ?order,
            shown = %"as text",
            big = u64::MAX,
            status = tracing::field::Empty,
        );
        span.record("status", "shipped");
        span.record("paid", true);
    });
    let span = named(&spans, "checkout");
    assert_eq!(span.tag("items"), Some(&TagValue::I64(3)));
    assert_eq!(span.tag("total"), Some(&TagValue::F64(12.5)));
    assert_eq!(
        span.tag("paid"),
        Some(&TagValue::Bool(true)),
        "recorded later, replacing"
    );
    assert_eq!(span.tag("user"), Some(&TagValue::from("ada")));
    assert_eq!(span.tag("order"), Some(&TagValue::from("Order { id: 7 }")));
    assert_eq!(span.tag("shown"), Some(&TagValue::from("as text")));
    assert_eq!(span.tag("big"), Some(&TagValue::U64(u64::MAX)));
    assert_eq!(span.tag("status"), Some(&TagValue::from("shipped")));
}

#[test]
fn otel_fields_name_kind_and_fail_the_span() {
    let spans = spans_of(tracekit_tracing::layer(), || {
        let span = tracing::info_span!(
            "HTTP request",
            otel.name = "GET /orders",
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
        );
        span.record("otel.status_code", "ERROR");
        let _ok = tracing::info_span!("fine", otel.status_code = "OK");
        let _named_late = tracing::info_span!("late", otel.name = tracing::field::Empty)
            .record("otel.name", "renamed");
    });
    let request = named(&spans, "GET /orders");
    assert_eq!(request.kind, SpanKind::Client);
    assert!(request.is_error());
    assert!(request.tag("otel.name").is_none(), "not a tag");
    assert!(!named(&spans, "fine").is_error());
    named(&spans, "renamed");
}

#[derive(Debug)]
struct OutOfStock;

impl std::fmt::Display for OutOfStock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("out of stock")
    }
}

impl std::error::Error for OutOfStock {}

#[tracing::instrument(err)]
fn reserve(item: &str) -> Result<(), OutOfStock> {
    Err(OutOfStock)
}

#[test]
fn instrument_err_and_error_fields_fail_the_span() {
    let spans = spans_of(tracekit_tracing::layer(), || {
        let _ = reserve("kiwi");
        let span = tracing::info_span!("with error field");
        let _entered = span.enter();
        let error: &(dyn std::error::Error + 'static) = &OutOfStock;
        tracing::warn!(error, "gave up");
    });
    let reserve = named(&spans, "reserve");
    assert_eq!(reserve.tag("item"), Some(&TagValue::from("kiwi")));
    assert!(reserve.is_error());
    let log = reserve.log_event("error").expect("the error log");
    assert_eq!(log.field("message"), Some(&TagValue::from("out of stock")));
    assert!(named(&spans, "with error field").is_error());
}

#[test]
fn events_are_logs_of_their_span_and_error_events_fail_only_when_asked() {
    let spans = spans_of(tracekit_tracing::layer(), || {
        let span = tracing::info_span!("load");
        let _entered = span.enter();
        tracing::info!(rows = 3, "loaded");
        tracing::error!("disk almost full");
    });
    let load = named(&spans, "load");
    let loaded = load.log_event("loaded").expect("the event as a log");
    assert_eq!(loaded.field("rows"), Some(&TagValue::I64(3)));
    assert_eq!(loaded.field("level"), Some(&TagValue::from("INFO")));
    assert_eq!(loaded.field("target"), Some(&TagValue::from("fields")));
    assert!(load.log_event("disk almost full").is_some());
    assert!(!load.is_error(), "an ERROR event fails nothing by default");

    let spans = spans_of(tracekit_tracing::layer().error_events_fail(true), || {
        let span = tracing::info_span!("load");
        let _entered = span.enter();
        tracing::error!("disk full");
    });
    assert!(named(&spans, "load").is_error());
}

#[test]
fn busy_and_idle_time_and_location_when_asked() {
    let spans = spans_of(
        tracekit_tracing::layer()
            .with_busy_idle(true)
            .with_location(true),
        || {
            let span = tracing::info_span!("poll");
            for _ in 0..2 {
                let _entered = span.enter();
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            std::thread::sleep(std::time::Duration::from_millis(30));
        },
    );
    let poll = named(&spans, "poll");
    let busy = poll.tag("busy_ns").and_then(TagValue::as_i64).unwrap();
    let idle = poll.tag("idle_ns").and_then(TagValue::as_i64).unwrap();
    assert!(busy >= 40_000_000, "{busy}");
    assert!(idle >= 30_000_000, "{idle}");
    assert_eq!(poll.tag("code.namespace"), Some(&TagValue::from("fields")));
    assert!(poll.tag("code.lineno").is_some());
    assert!(
        poll.tag("code.filepath")
            .and_then(TagValue::as_str)
            .is_some_and(|file| file.ends_with("fields.rs"))
    );

    let plain = spans_of(tracekit_tracing::layer(), || {
        drop(tracing::info_span!("poll"))
    });
    assert!(
        named(&plain, "poll").tag("busy_ns").is_none(),
        "off by default"
    );
}
