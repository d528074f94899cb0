//! The request and response hooks, the original's `before_call` /
//! `after_call`: users' own tags from the request's head and the answer.

mod support;

use axum::Router;
use axum::routing::get;
use support::{client, fetch, in_caller_span, named, serve, spans_of};
use tracekit::TagValue;
use tracekit_http::ServerLayer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hooks_see_the_request_head_and_the_response_and_tag_the_span() {
    let layer = ServerLayer::new()
        .on_request(|parts, span| {
            if let Some(tenant) = parts.headers.get("x-tenant").and_then(|v| v.to_str().ok()) {
                span.set_tag("tenant", tenant.to_owned());
            }
        })
        .on_response(|status, headers, span| {
            span.set_tag("answered", i64::from(status.as_u16()));
            span.set_tag("cached", headers.contains_key("x-cache"));
        })
        .record_response_header("x-cache")
        .record_response_header("set-cookie");
    let app = Router::new()
        .route(
            "/cart",
            get(|| async {
                (
                    [("x-cache", "hit"), ("set-cookie", "session=secret")],
                    "cart",
                )
            }),
        )
        .layer(layer);
    let address = serve(app).await;

    let (trace, ()) = in_caller_span(async {
        client()
            .get(format!("http://{address}/cart"))
            .header("x-tenant", "acme")
            .send()
            .await
            .expect("a response");
    })
    .await;

    let spans = spans_of(trace, 3);
    let server = named(&spans, "GET /cart");
    assert_eq!(server.tag("tenant"), Some(&TagValue::from("acme")));
    assert_eq!(server.tag("answered"), Some(&TagValue::I64(200)));
    assert_eq!(server.tag("cached"), Some(&TagValue::Bool(true)));
    assert_eq!(
        server.tag("http.response.header.x-cache"),
        Some(&TagValue::from("hit"))
    );
    assert_eq!(
        server.tag("http.response.header.set-cookie"),
        Some(&TagValue::from("[redacted]")),
        "never a credential's value"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_hook_is_logged_on_the_span_and_the_request_still_succeeds() {
    let layer = ServerLayer::new()
        .on_request(|_, _| panic!("the tenant lookup broke"))
        .on_response(|_, _, span| span.set_tag("answered", true));
    let app = Router::new()
        .route("/cart", get(|| async { "cart" }))
        .layer(layer);
    let address = serve(app).await;

    let (trace, (status, body)) = in_caller_span(fetch(format!("http://{address}/cart"))).await;
    assert_eq!((status, body.as_str()), (200, "cart"));
    let spans = spans_of(trace, 3);
    let server = named(&spans, "GET /cart");
    let failure = server
        .logs
        .iter()
        .find(|log| log.field("event").and_then(|v| v.as_str()) == Some("hook_failed"));
    let failure = failure.expect("the hook's panic is logged");
    assert_eq!(
        failure.field("stage").and_then(|v| v.as_str()),
        Some("on_request")
    );
    assert_eq!(
        failure.field("message").and_then(|v| v.as_str()),
        Some("the tenant lookup broke")
    );
    assert_eq!(
        server.tag("answered"),
        Some(&TagValue::Bool(true)),
        "the other hook still ran"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handler_tags_its_request_span_through_the_active_span() {
    let app = Router::new()
        .route(
            "/cart",
            get(|| async {
                tokio::task::yield_now().await;
                tracekit::with_active_span(|span| span.set_tag("cart.items", 3));
                "cart"
            }),
        )
        .layer(ServerLayer::new());
    let address = serve(app).await;

    let (trace, (status, _)) = in_caller_span(fetch(format!("http://{address}/cart"))).await;
    assert_eq!(status, 200);
    let spans = spans_of(trace, 3);
    let server = named(&spans, "GET /cart");
    assert_eq!(server.tag("cart.items"), Some(&TagValue::I64(3)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_header_under_a_name_the_tracer_adds_to_the_policy_is_redacted() {
    // The names a tracer adds hold for the whole process.
    drop(
        tracekit::Tracer::builder()
            .redact_names(["ssn"])
            .exporter(tracekit::export::Memory::new())
            .build(),
    );
    let layer = ServerLayer::new()
        .record_request_header("x-patient-ssn")
        .record_request_header("x-ward");
    let app = Router::new()
        .route("/admit", get(|| async { "admitted" }))
        .layer(layer);
    let address = serve(app).await;

    let (trace, ()) = in_caller_span(async {
        client()
            .get(format!("http://{address}/admit"))
            .header("x-patient-ssn", "078-05-1120")
            .header("x-ward", "b")
            .send()
            .await
            .expect("a response");
    })
    .await;

    let spans = spans_of(trace, 3);
    let server = named(&spans, "GET /admit");
    assert_eq!(
        server.tag("http.request.header.x-patient-ssn"),
        Some(&TagValue::from("[redacted]"))
    );
    assert_eq!(
        server.tag("http.request.header.x-ward"),
        Some(&TagValue::from("b"))
    );
}
