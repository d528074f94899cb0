//! Body capture: the first bytes of textual bodies, bounded, redacted,
//! copied as they stream; never for other content types.

mod support;

use axum::Router;
use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use axum::routing::post;
use support::{client, in_caller_span, serve, spans_of};
use tracekit::{SpanKind, SpanRecord, TagValue};
use tracekit_http::{BodyCapture, ServerLayer};

async fn echo(body: Bytes) -> ([(axum::http::HeaderName, &'static str); 1], Bytes) {
    ([(CONTENT_TYPE, "application/json")], body)
}

fn app() -> Router {
    Router::new().route("/echo", post(echo)).layer(
        ServerLayer::new()
            .capture_response_body(BodyCapture::up_to(16))
            .capture_request_body(
                BodyCapture::up_to(34).redact(|text| text.replace("hunter2", "[redacted]")),
            ),
    )
}

async fn post_body(body: &'static str, content_type: &'static str) -> SpanRecord {
    let address = serve(app()).await;
    let (trace, echoed) = in_caller_span(async {
        client()
            .post(format!("http://{address}/echo"))
            .header(CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .expect("a response")
            .text()
            .await
            .expect("a body")
    })
    .await;
    assert_eq!(echoed, body, "capture changes nothing of what is sent");
    spans_of(trace, 3)
        .into_iter()
        .find(|span| span.kind == SpanKind::Server)
        .expect("a server span")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn textual_bodies_are_captured_up_to_the_limit_and_redacted() {
    let server = post_body(r#"{"user":"ada","password":"hunter2"}"#, "application/json").await;
    assert_eq!(
        server.tag("http.request.body"),
        Some(&TagValue::from(r#"{"user":"ada","password":"[redacted]""#)),
        "34 bytes, then redacted"
    );
    assert_eq!(
        server.tag("http.request.body.truncated"),
        Some(&TagValue::Bool(true))
    );
    assert_eq!(
        server.tag("http.response.body"),
        Some(&TagValue::from(r#"{"user":"ada","p"#))
    );
    assert_eq!(
        server.tag("http.response.body.truncated"),
        Some(&TagValue::Bool(true))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_body_is_captured_whole_and_not_marked_truncated() {
    let server = post_body("{}", "application/json").await;
    assert_eq!(server.tag("http.request.body"), Some(&TagValue::from("{}")));
    assert_eq!(server.tag("http.request.body.truncated"), None);
    assert_eq!(
        server.tag("http.response.body"),
        Some(&TagValue::from("{}"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_binary_request_body_is_not_captured() {
    let server = post_body("\u{1}\u{2}binary", "application/octet-stream").await;
    assert_eq!(server.tag("http.request.body"), None);
    // The echo answers JSON, which is captured.
    assert!(server.tag("http.response.body").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redaction_that_panics_records_nothing_of_the_body() {
    let app =
        Router::new()
            .route("/echo", post(echo))
            .layer(ServerLayer::new().capture_request_body(
                BodyCapture::up_to(64).redact(|_| panic!("no rules loaded")),
            ));
    let address = serve(app).await;
    let (trace, status) = in_caller_span(async {
        client()
            .post(format!("http://{address}/echo"))
            .header(CONTENT_TYPE, "application/json")
            .body(r#"{"password":"hunter2"}"#)
            .send()
            .await
            .expect("a response")
            .status()
    })
    .await;
    assert_eq!(status, 200);
    let server = spans_of(trace, 3)
        .into_iter()
        .find(|span| span.kind == SpanKind::Server)
        .expect("a server span");
    assert_eq!(
        server.tag("http.request.body"),
        None,
        "nothing unredacted is kept"
    );
    assert!(
        server
            .logs
            .iter()
            .any(|log| log.field("stage").and_then(|v| v.as_str()) == Some("redact"))
    );
}
