//! Log lines carry the ids of the active span: the fmt layer's JSON and
//! text lines, and any `log` logger's; also under a context extracted from
//! a caller's headers.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracekit::{SpanContext, testing};
use tracekit_tracing::fmt::TraceIds;
use tracing_subscriber::layer::SubscriberExt;

/// Where the fmt layer writes: lines kept for the test to read.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Lines {
    fn read(&self) -> Vec<String> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

#[test]
fn json_lines_carry_the_ids_of_the_exported_span() {
    let lines = Lines::default();
    let writer = lines.clone();
    let json = tracing_subscriber::fmt::layer()
        .json()
        .event_format(TraceIds::new(tracing_subscriber::fmt::format().json()))
        .with_writer(move || writer.clone());
    let subscriber = tracing_subscriber::registry()
        .with(tracekit_tracing::layer())
        .with(json);
    let (_, spans) = testing::capture(|| {
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("checkout");
            let _entered = span.enter();
            tracing::info!(order = 7, "stored");
        });
    });
    let line: serde_json::Value = serde_json::from_str(&lines.read()[0]).unwrap();
    let checkout = &spans[0];
    assert_eq!(line["trace_id"], checkout.trace_id.to_string());
    assert_eq!(line["span_id"], checkout.span_id.to_string());
    assert_eq!(line["fields"]["message"], "stored");
    assert_eq!(line["fields"]["order"], 7);
}

#[test]
fn text_lines_start_with_the_ids_and_lines_outside_spans_have_none() {
    let lines = Lines::default();
    let writer = lines.clone();
    let text = tracing_subscriber::fmt::layer()
        .event_format(TraceIds::new(
            tracing_subscriber::fmt::format().without_time(),
        ))
        .with_ansi(false)
        .with_writer(move || writer.clone());
    let subscriber = tracing_subscriber::registry()
        .with(tracekit_tracing::layer())
        .with(text);
    let (_, spans) = testing::capture(|| {
        tracing::subscriber::with_default(subscriber, || {
            tracing::info_span!("checkout").in_scope(|| tracing::info!("inside"));
        });
    });
    // Outside the capture: nothing active.
    let subscriber = tracing_subscriber::registry().with(
        tracing_subscriber::fmt::layer()
            .event_format(TraceIds::new(
                tracing_subscriber::fmt::format().without_time(),
            ))
            .with_ansi(false)
            .with_writer({
                let writer = lines.clone();
                move || writer.clone()
            }),
    );
    tracing::subscriber::with_default(subscriber, || tracing::info!("outside"));
    let read = lines.read();
    let expected = format!(
        "trace_id={} span_id={} ",
        spans[0].trace_id, spans[0].span_id
    );
    assert!(read[0].starts_with(&expected), "{read:?}");
    assert!(read[0].ends_with("inside"), "{read:?}");
    assert!(!read[1].contains("trace_id"), "{read:?}");
}

#[test]
fn a_context_extracted_from_a_caller_names_the_lines_too() {
    let lines = Lines::default();
    let writer = lines.clone();
    let json = tracing_subscriber::fmt::layer()
        .json()
        .event_format(TraceIds::new(tracing_subscriber::fmt::format().json()))
        .with_writer(move || writer.clone());
    let subscriber = tracing_subscriber::registry().with(json);
    let mut headers = std::collections::HashMap::new();
    headers.insert(
        "traceparent".to_owned(),
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
    );
    let caller: SpanContext = tracekit::global().extract(&headers).expect("a context");
    tracing::subscriber::with_default(subscriber, || {
        let _scope = tracekit::Context::from_span_context(caller).attach();
        tracing::info!("continued");
    });
    let line: serde_json::Value = serde_json::from_str(&lines.read()[0]).unwrap();
    assert_eq!(line["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(line["span_id"], "00f067aa0ba902b7");
}

/// A `log` logger that keeps its lines.
#[derive(Default)]
struct Kept(Mutex<Vec<String>>);

impl log::Log for Kept {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        self.0
            .lock()
            .unwrap()
            .push(format!("{} {}", record.level(), record.args()));
    }

    fn flush(&self) {}
}

#[test]
fn log_lines_end_with_the_ids_and_may_be_span_logs() {
    use log::Log as _;
    let logger = tracekit_tracing::log::TraceIds::new(Kept::default()).span_logs(true);
    let line = |message: &str| {
        logger.log(
            &log::Record::builder()
                .args(format_args!("{message}"))
                .level(log::Level::Warn)
                .target("shop")
                .build(),
        )
    };
    let (_, spans) = testing::capture(|| {
        let span = tracekit::global().span("request").start();
        let _scope = span.activate();
        line("slow answer");
    });
    line("no span");
    let kept = logger_lines(&logger);
    let request = &spans[0];
    assert_eq!(
        kept[0],
        format!(
            "WARN slow answer trace_id={} span_id={}",
            request.trace_id, request.span_id
        )
    );
    assert_eq!(kept[1], "WARN no span");
    let log = request.log_event("slow answer").expect("a span log");
    assert_eq!(log.field("level").and_then(|v| v.as_str()), Some("WARN"));
}

fn logger_lines(logger: &tracekit_tracing::log::TraceIds<Kept>) -> Vec<String> {
    logger.inner().0.lock().unwrap().clone()
}
