//! A real library's `tracing` spans in a tracekit trace: a request
//! through the reqwest middleware reaches an axum server on loopback
//! behind `ServerLayer` and tower-http's `TraceLayer`; tower-http's span
//! (made with `tracing`) is the server span's child, the `#[traced]`
//! handler is tower-http's span's child, and the events of both are logs
//! of the spans they were emitted in.

#[path = "support/exported.rs"]
mod exported;
#[path = "support/loopback.rs"]
mod loopback;

use std::sync::OnceLock;

use axum::Router;
use axum::routing::get;
use tracekit::http::ServerLayer;
use tracekit::{SpanKind, traced};
use tracing_subscriber::layer::SubscriberExt;

/// The tests' tracer, and the bridge as the process's subscriber.
fn install() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        exported::memory();
        let subscriber = tracing_subscriber::registry().with(tracekit_tracing::layer());
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
    });
}

#[traced]
async fn stock() -> &'static str {
    tracing::info!(item = "apple", "counted");
    "5"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tower_https_span_sits_between_the_server_span_and_the_handler() {
    install();
    let app = Router::new()
        .route("/stock", get(stock))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(ServerLayer::new());
    let (answer, trace) = loopback::get_from_caller(app, "/stock").await;
    assert_eq!(answer, "5");

    // The caller, its client span, the server span, tower-http's, the handler's.
    let spans = exported::spans_of(trace, 5).await;
    assert_eq!(spans.len(), 5, "{spans:#?}");
    let server = spans.iter().find(|s| s.kind == SpanKind::Server).unwrap();
    let tower = spans
        .iter()
        .find(|s| s.name == "request")
        .expect("tower-http's span");
    let handler = spans
        .iter()
        .find(|s| s.name == "stock")
        .expect("the handler's span");
    assert_eq!(tower.parent_id, Some(server.span_id));
    assert_eq!(tower.tag("method").and_then(|v| v.as_str()), Some("GET"));
    assert_eq!(tower.tag("uri").and_then(|v| v.as_str()), Some("/stock"));
    assert_eq!(handler.parent_id, Some(tower.span_id));
    assert!(handler.log_event("counted").is_some(), "{handler:?}");
    assert!(
        tower.log_event("finished processing request").is_some(),
        "tower-http's own event: {tower:?}"
    );
}
