//! Nested apps, as the original mounted a Flask app inside FastAPI: an
//! axum router nested in another, and a separate tower service as the
//! fallback; their handlers' spans are children of the outer server span,
//! and nothing stays active for the next request.

mod support;

use std::convert::Infallible;

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::http::{Request, Response};
use axum::routing::get;
use support::{fetch, in_caller_span, named, of_kind, serve, spans_of};
use tracekit::{Context, SpanKind, traced};
use tracekit_http::ServerLayer;

#[traced]
async fn list_orders(user: u64) -> String {
    format!("orders of {user}")
}

#[traced]
fn legacy_page(path: &str) -> String {
    format!("legacy {path}")
}

/// The outer app: `/health`, the inner router under `/api`, and a plain
/// tower service for everything else.
fn app() -> Router {
    let inner = Router::new().route(
        "/users/{id}/orders",
        get(|Path(id): Path<u64>| list_orders(id)),
    );
    let legacy = tower::service_fn(|request: Request<Body>| async move {
        Ok::<_, Infallible>(Response::new(Body::from(legacy_page(request.uri().path()))))
    });
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .nest("/api", inner)
        .fallback_service(legacy)
        .layer(ServerLayer::new())
}

async fn get_in_trace(address: std::net::SocketAddr, path: &str) -> (tracekit::TraceId, String) {
    let (trace, (_, body)) = in_caller_span(fetch(format!("http://{address}{path}"))).await;
    (trace, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nested_routers_handler_is_a_child_of_the_outer_server_span() {
    let address = serve(app()).await;
    let (trace, body) = get_in_trace(address, "/api/users/7/orders").await;
    assert_eq!(body, "orders of 7");
    let spans = spans_of(trace, 4);
    let server = named(&spans, "GET /api/users/{id}/orders");
    assert_eq!(named(&spans, "list_orders").parent_id, Some(server.span_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fallback_tower_service_runs_inside_the_outer_server_span() {
    let address = serve(app()).await;
    let (trace, body) = get_in_trace(address, "/old/page").await;
    assert_eq!(body, "legacy /old/page");
    let spans = spans_of(trace, 4);
    // No route matched: the server span is named by the method, as the
    // client span is.
    let server = of_kind(&spans, SpanKind::Server);
    assert_eq!(server.name, "GET");
    assert_eq!(named(&spans, "legacy_page").parent_id, Some(server.span_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_span_stays_active_on_the_workers_after_requests() {
    let address = serve(app()).await;
    for _ in 0..20 {
        get_in_trace(address, "/api/users/1/orders").await;
        get_in_trace(address, "/old/x").await;
    }
    // Tasks on both workers see nothing active.
    let checks: Vec<_> = (0..32)
        .map(|_| tokio::spawn(async { Context::current().span_context().is_none() }))
        .collect();
    for check in checks {
        assert!(
            check.await.expect("ran"),
            "a span leaked into an unrelated task"
        );
    }
}
