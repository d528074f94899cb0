//! What both services share: a tracer that appends to the shop's JSON-lines
//! file, log lines that carry the trace ids in the shop's log file, a
//! server on an ephemeral loopback port (announced on stdout), and a
//! graceful shutdown on SIGTERM or Ctrl-C that ends with the flush.

use std::io::Write;
use std::net::SocketAddr;

use tracekit::jsonl::JsonLines;
use tracekit_tracing::fmt::TraceIds;
use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;

/// Serves `app` as the service `name` until SIGTERM or Ctrl-C.
pub fn run(name: &'static str, app: axum::Router) {
    let path =
        std::env::var("TRACEKIT_JSONL_PATH").expect("TRACEKIT_JSONL_PATH, set by the driver");
    // The guard flushes when it drops, after the server has stopped.
    let view = std::env::var(VIEW_VARIABLE).ok();
    let (_tracer, runtime) = traced_process(name, std::path::Path::new(&path), view.as_deref());
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let address = listener.local_addr().expect("its address");
        // The driver reads this line to learn where the service listens.
        println!("{address}");
        std::io::stdout().flush().expect("stdout");
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(tracekit::http::shutdown_signal())
        .await
        .expect("served");
    });
}

/// A reqwest client whose every request gets a client span and carries the
/// trace (the proxy variables are ignored: the services are on loopback).
pub fn traced_client() -> reqwest_middleware::ClientWithMiddleware {
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a client");
    reqwest_middleware::ClientBuilder::new(client)
        .with(tracekit::http::TracingMiddleware::new())
        .build()
}

/// What each of the shop's processes starts with: a tracer named `name`
/// appending to the shop's span file at `spans`, the `tracing` bridge (the
/// spans of the libraries that speak `tracing`, tower-http's here, in the
/// same traces) with log lines that carry the trace ids, appended to the
/// shop's log file next to `spans`, and a tokio runtime. With `view` (a
/// tracekit-view address, `--view`), the spans also go there over
/// OTLP/HTTP.
pub fn traced_process(
    name: &'static str,
    spans: &std::path::Path,
    view: Option<&str>,
) -> (tracekit::TracerGuard, tokio::runtime::Runtime) {
    let exporter = JsonLines::append(spans).expect("the shop's span file");
    let mut tracer = tracekit::Tracer::builder()
        .service_name(name)
        .exporter(exporter);
    if let Some(viewer) = view {
        let otlp = tracekit::otlp::OtlpExporter::builder()
            .endpoint(viewer)
            .build()
            .expect("the viewer's address");
        tracer = tracer.exporter(otlp);
    }
    let tracer = tracer.install();
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_file(spans))
        .expect("the shop's log file");
    let lines = tracing_subscriber::fmt::layer()
        .event_format(TraceIds::new(
            tracing_subscriber::fmt::format().without_time(),
        ))
        .with_ansi(false)
        .with_writer(std::sync::Arc::new(log));
    // tower-http's request spans and events (DEBUG), the shop's own
    // events, and warnings from anything else.
    let levels = Targets::new()
        .with_target("tower_http", Level::DEBUG)
        .with_target("shop", Level::INFO)
        .with_default(Level::WARN);
    let subscriber = tracing_subscriber::registry()
        .with(levels)
        .with(tracekit_tracing::layer())
        .with(lines);
    tracing::subscriber::set_global_default(subscriber).expect("one subscriber per process");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    (tracer, runtime)
}

/// The variable the driver gives its services tracekit-view's address in
/// (`--view`).
pub const VIEW_VARIABLE: &str = "SHOP_VIEW_URL";

/// The shop's log file, next to its span file.
pub fn log_file(spans: &std::path::Path) -> std::path::PathBuf {
    spans.with_extension("log")
}
