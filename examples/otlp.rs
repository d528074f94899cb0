//! Sends traces to an OTLP/HTTP endpoint: an OpenTelemetry Collector,
//! Jaeger, Grafana Tempo. The endpoint and the rest come from the standard
//! variables (`OTEL_EXPORTER_OTLP_ENDPOINT`, default
//! `http://localhost:4318`; `OTEL_EXPORTER_OTLP_HEADERS`, `_TIMEOUT`,
//! `_PROTOCOL`; `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`).
//!
//! With Jaeger's all-in-one image, which takes OTLP on port 4318 and shows
//! the traces on http://localhost:16686:
//!
//! ```sh
//! docker run --rm -p 16686:16686 -p 4318:4318 jaegertracing/all-in-one
//! cargo run --example otlp
//! ```

use tracekit::traced;

#[derive(Debug)]
struct OutOfStock(&'static str);

impl std::fmt::Display for OutOfStock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is out of stock", self.0)
    }
}

#[traced]
fn reserve(item: &'static str, quantity: u32) -> Result<u32, OutOfStock> {
    if item == "kiwi" {
        return Err(OutOfStock(item));
    }
    Ok(quantity)
}

#[traced(kind = server)]
fn checkout(items: &[&'static str]) -> u32 {
    items.iter().filter_map(|item| reserve(item, 2).ok()).sum()
}

fn main() {
    // OTLP unless OTEL_TRACES_EXPORTER names other exporters; an endpoint
    // that cannot be used is reported, and spans go to the console.
    // OTEL_SERVICE_NAME, when set, names the service instead.
    let tracer = tracekit::from_env()
        .resource_attribute("service.name", "otlp-example")
        .default_exporters("otlp")
        .install();
    checkout(&["apple", "kiwi", "banana"]);
    // The guard flushes as it drops; say what did not arrive.
    if let Err(err) = tracer.flush() {
        eprintln!("otlp: {err}");
    }
    let stats = tracer.stats();
    println!(
        "{} spans exported, {} dropped",
        stats.spans_exported,
        stats.dropped()
    );
}
