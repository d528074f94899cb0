//! The server layer: a `server` span per request, continuing the caller's
//! trace, named by the route, tagged by OpenTelemetry's conventions,
//! finished when the body has gone out.

mod support;

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::get;
use support::{client, in_caller_span, named, of_kind, serve, spans_of};
use tracekit::{SpanKind, TagValue, traced};
use tracekit_http::ServerLayer;

#[traced]
async fn load_item(id: u64) -> String {
    tokio::task::yield_now().await;
    format!("item {id}")
}

fn shop() -> Router {
    Router::new()
        .route("/items/{id}", get(|Path(id): Path<u64>| load_item(id)))
        .route(
            "/broken",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "down") }),
        )
        .route("/missing", get(|| async { StatusCode::NOT_FOUND }))
        .layer(ServerLayer::new().record_request_header("x-request-id"))
}

/// Sends `path` from inside a span named "caller"; returns the trace id,
/// the status and the body.
async fn call(address: std::net::SocketAddr, path: &str) -> (tracekit::TraceId, u16, String) {
    let url = format!("http://{address}{path}");
    let (trace, response) = in_caller_span(async {
        client()
            .get(url)
            .header("x-request-id", "r-17")
            .header("authorization", "Bearer secret")
            .send()
            .await
            .expect("a response")
    })
    .await;
    let status = response.status().as_u16();
    (trace, status, response.text().await.expect("a body"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_continues_the_callers_trace_in_a_server_span_named_by_its_route() {
    let address = serve(shop()).await;
    let (trace, status, body) = call(address, "/items/42?color=red").await;
    assert_eq!((status, body.as_str()), (200, "item 42"));

    let spans = spans_of(trace, 4);
    let caller = named(&spans, "caller");
    let client = named(&spans, "GET");
    let server = named(&spans, "GET /items/{id}");
    let handler = named(&spans, "load_item");
    assert_eq!(client.parent_id, Some(caller.span_id));
    assert_eq!(client.kind, SpanKind::Client);
    assert_eq!(server.parent_id, Some(client.span_id));
    assert!(server.parent_is_remote);
    assert_eq!(server.kind, SpanKind::Server);
    assert_eq!(handler.parent_id, Some(server.span_id));

    let tag = |key: &str| server.tag(key).cloned();
    assert_eq!(tag("http.request.method"), Some(TagValue::from("GET")));
    assert_eq!(tag("http.route"), Some(TagValue::from("/items/{id}")));
    assert_eq!(tag("url.path"), Some(TagValue::from("/items/42")));
    assert_eq!(tag("url.scheme"), Some(TagValue::from("http")));
    assert_eq!(tag("url.query"), None, "the query is opt-in");
    assert_eq!(tag("server.address"), Some(TagValue::from("127.0.0.1")));
    assert_eq!(
        tag("server.port"),
        Some(TagValue::I64(i64::from(address.port())))
    );
    assert_eq!(tag("client.address"), Some(TagValue::from("127.0.0.1")));
    assert_eq!(tag("network.protocol.version"), Some(TagValue::from("1.1")));
    assert_eq!(tag("http.response.status_code"), Some(TagValue::I64(200)));
    assert_eq!(
        tag("http.request.header.x-request-id"),
        Some(TagValue::from("r-17"))
    );
    assert_eq!(tag("http.request.header.authorization"), None);
    assert_eq!(tag("error"), None);
    assert!(server.start >= client.start && server.end <= client.end);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_marks_the_server_span_as_an_error_and_a_4xx_does_not() {
    let address = serve(shop()).await;
    let (trace, status, _) = call(address, "/broken").await;
    assert_eq!(status, 500);
    let spans = spans_of(trace, 3);
    let server = named(&spans, "GET /broken");
    assert_eq!(server.tag("error"), Some(&TagValue::Bool(true)));
    assert_eq!(server.tag("error.type"), Some(&TagValue::from("500")));
    // The client sees a 5xx as an error too.
    assert_eq!(
        named(&spans, "GET").tag("error.type"),
        Some(&TagValue::from("500"))
    );

    let (trace, status, _) = call(address, "/missing").await;
    assert_eq!(status, 404);
    let spans = spans_of(trace, 3);
    let server = named(&spans, "GET /missing");
    assert_eq!(
        server.tag("http.response.status_code"),
        Some(&TagValue::I64(404))
    );
    assert_eq!(server.tag("error"), None, "a 4xx is the client's fault");
    assert_eq!(
        named(&spans, "GET").tag("error.type"),
        Some(&TagValue::from("404"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_no_route_matches_is_named_by_its_method_alone() {
    let address = serve(shop()).await;
    let (trace, status, _) = call(address, "/nowhere/123").await;
    assert_eq!(status, 404);
    let spans = spans_of(trace, 3);
    let server = of_kind(&spans, SpanKind::Server);
    assert_eq!(server.name, "GET");
    assert_eq!(server.tag("http.route"), None);
    assert_eq!(
        server.tag("url.path"),
        Some(&TagValue::from("/nowhere/123"))
    );
}
