//! `OTEL_TRACES_EXPORTER` chooses the exporters, as the OpenTelemetry SDKs
//! do: `otlp` (configured by `OTEL_EXPORTER_OTLP_*`), `zipkin`
//! (`OTEL_EXPORTER_ZIPKIN_*`), `jsonl` (the file in `TRACEKIT_JSONL_PATH`),
//! `console`, `none`, or several comma-separated. A name that is unknown, or whose exporter
//! cannot be built, is reported and left out; with nothing left, spans go
//! to the console.
//!
//! One test per binary: it changes the process environment.

#[path = "../exporters/otlp/tests/support/receiver.rs"]
mod receiver;

use std::sync::Mutex;

use receiver::Receiver;
use tracekit::export::Memory;
use tracekit::{NamedExporter, Tracer, TracerBuilder};

fn set(name: &str, value: &str) {
    // SAFETY: this binary runs a single test, so no other thread reads the
    // environment while it changes.
    unsafe { std::env::set_var(name, value) }
}

fn unset(name: &str) {
    // SAFETY: as in `set`.
    unsafe { std::env::remove_var(name) }
}

/// The memory exporter `OTEL_TRACES_EXPORTER=memory` names here.
static MEMORY: Mutex<Option<Memory>> = Mutex::new(None);

fn memory() -> Memory {
    MEMORY
        .lock()
        .unwrap()
        .get_or_insert_with(Memory::new)
        .clone()
}

/// The exporters of this build, and `memory`.
fn named() -> Vec<NamedExporter> {
    let mut named = tracekit::exporters();
    named.push(NamedExporter {
        name: "memory",
        build: || Ok(Box::new(memory())),
    });
    named
}

/// One span through a tracer configured from the environment; its stats.
fn one_span() -> tracekit::TracerStats {
    let tracer: Tracer = TracerBuilder::from_env_with(&named()).build();
    tracer.span("work").start().finish();
    let _ = tracer.flush();
    tracer.stats()
}

#[test]
fn otel_traces_exporter_chooses_the_exporters() {
    let receiver = Receiver::start(200, "");
    set("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint());

    set("OTEL_TRACES_EXPORTER", "otlp");
    assert_eq!(one_span().spans_exported, 1);
    assert_eq!(receiver.requests().len(), 1, "the OTLP endpoint got it");

    set("OTEL_TRACES_EXPORTER", " otlp , memory ");
    assert_eq!(one_span().spans_exported, 1);
    assert_eq!(receiver.requests().len(), 2);
    assert_eq!(memory().spans().len(), 1, "both got it");

    let zipkin = Receiver::start(202, "");
    set(
        "OTEL_EXPORTER_ZIPKIN_ENDPOINT",
        &format!("{}/api/v2/spans", zipkin.endpoint()),
    );
    set("OTEL_TRACES_EXPORTER", "zipkin");
    assert_eq!(one_span().spans_exported, 1);
    assert_eq!(zipkin.requests().len(), 1, "the Zipkin endpoint got it");
    assert_eq!(zipkin.requests()[0].path, "/api/v2/spans");

    set("OTEL_TRACES_EXPORTER", "carrier-pigeon,memory");
    assert_eq!(one_span().spans_exported, 1, "the unknown name left out");
    assert_eq!(memory().spans().len(), 2);

    set("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon");
    set("OTEL_TRACES_EXPORTER", "otlp,memory");
    assert_eq!(
        one_span().spans_exported,
        1,
        "an OTLP exporter that cannot be built is left out"
    );
    assert_eq!(receiver.requests().len(), 2);
    assert_eq!(memory().spans().len(), 3);

    let file =
        std::env::temp_dir().join(format!("tracekit-selection-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&file);
    set("TRACEKIT_JSONL_PATH", file.to_str().unwrap());
    set("OTEL_TRACES_EXPORTER", "jsonl");
    assert_eq!(one_span().spans_exported, 1);
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("\"schema\":\"tracekit.span/1\""), "{text}");
    std::fs::remove_file(&file).unwrap();

    set("OTEL_TRACES_EXPORTER", "none");
    let stats = one_span();
    assert_eq!(
        (stats.spans_exported, stats.dropped()),
        (0, 0),
        "no exporter"
    );
    assert_eq!(receiver.requests().len(), 2);

    // Exporters named in code are the default; the variable, set, wins.
    let default_otlp = || {
        let tracer: Tracer = TracerBuilder::from_env_with(&named())
            .default_exporters("otlp")
            .build();
        tracer.span("work").start().finish();
        let _ = tracer.flush();
        tracer.stats().spans_exported
    };
    assert_eq!(default_otlp(), 0, "OTEL_TRACES_EXPORTER=none wins");
    unset("OTEL_TRACES_EXPORTER");
    unset("OTEL_EXPORTER_OTLP_PROTOCOL");
    assert_eq!(default_otlp(), 1);
    assert_eq!(receiver.requests().len(), 3, "the default sent it");

    // The facade's builder knows every exporter of the build.
    set("OTEL_TRACES_EXPORTER", "otlp");
    let tracer = tracekit::from_env().build();
    tracer.span("work").start().finish();
    let _ = tracer.flush();
    assert_eq!(
        receiver.requests().len(),
        4,
        "tracekit::from_env built otlp"
    );
}
