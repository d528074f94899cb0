//! The reqwest middleware: a client span per request, the context and the
//! baggage carried in the headers, a root span for a request made outside
//! any (unless turned off), the peer and protocol, a dropped request
//! marked cancelled, every attempt of a retried request.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use http::Extensions;
use reqwest_middleware::{ClientBuilder, Middleware, Next};
use support::{client, in_caller_span, memory, serve, spans_of};
use tracekit::{FutureExt, SpanKind, TagValue};
use tracekit_http::{ServerLayer, TracingMiddleware};

/// Answers with the `traceparent` it received (or "none").
fn echo_traceparent() -> Router {
    Router::new().route(
        "/echo",
        get(|headers: HeaderMap| async move {
            headers
                .get("traceparent")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("none")
                .to_owned()
        }),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_root_spans_off_a_request_without_an_active_span_goes_out_untouched() {
    let address = serve(echo_traceparent()).await;
    let url = format!("http://{address}/echo");
    let client = ClientBuilder::new(reqwest::Client::builder().no_proxy().build().unwrap())
        .with(TracingMiddleware::new().root_spans(false))
        .build();
    let body = client.get(&url).send().await.unwrap().text().await.unwrap();
    assert_eq!(body, "none");
    tracekit::global().flush().unwrap();
    // Tests run side by side: look for a span of this server's URL only.
    let expected = TagValue::from(url.clone());
    let to_this_server = |span: &tracekit::SpanRecord| span.tag("url.full") == Some(&expected);
    assert!(
        !memory().spans().iter().any(to_this_server),
        "no client span"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_a_request_without_an_active_span_starts_a_trace_and_carries_it() {
    let address = serve(echo_traceparent()).await;
    let body = client()
        .get(format!("http://{address}/echo?token=abc"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let trace = tracekit::TraceId::from_hex(body.split('-').nth(1).expect("a traceparent"))
        .expect("a trace id");
    let spans = spans_of(trace, 1);
    assert_eq!(spans[0].kind, SpanKind::Client);
    assert_eq!(spans[0].parent_id, None);
    assert_eq!(
        spans[0].tag("url.full"),
        Some(&TagValue::from(format!("http://{address}/echo")))
    );
    assert!(body.contains(&spans[0].span_id.to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_span_names_the_peer_that_answered_and_the_protocol() {
    let address = serve(echo_traceparent()).await;
    let (trace, _) = in_caller_span(support::fetch(format!("http://{address}/echo"))).await;
    let spans = spans_of(trace, 2);
    let client_span = support::of_kind(&spans, SpanKind::Client);
    support::assert_answered_by(client_span, address);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_dropped_before_its_answer_ends_its_span_cancelled() {
    let app = Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            "late"
        }),
    );
    let address = serve(app).await;
    let (trace, timed_out) = in_caller_span(async {
        tokio::time::timeout(
            std::time::Duration::from_millis(100),
            client().get(format!("http://{address}/slow")).send(),
        )
        .await
        .is_err()
    })
    .await;
    assert!(timed_out);
    let spans = spans_of(trace, 2);
    let client_span = support::of_kind(&spans, SpanKind::Client);
    assert_eq!(client_span.tag("cancelled"), Some(&TagValue::Bool(true)));
    assert_eq!(client_span.tag("http.response.status_code"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baggage_set_by_the_caller_arrives_at_the_server() {
    let app = Router::new()
        .route(
            "/tenant",
            get(|| async { tracekit::context::baggage_item("tenant").unwrap_or_default() }),
        )
        .layer(ServerLayer::new());
    let address = serve(app).await;
    let caller = tracekit::global().span("caller").start();
    caller.set_baggage_item("tenant", "acme");
    let body = async {
        client()
            .get(format!("http://{address}/tenant"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
    .in_span(caller)
    .await;
    assert_eq!(body, "acme");
}

/// Sends a request again once when the first answer is a 503, as a retry
/// middleware does: the same extensions go to each attempt.
struct RetryOnce;

#[async_trait::async_trait]
impl Middleware for RetryOnce {
    async fn handle(
        &self,
        request: reqwest::Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let again = request.try_clone().expect("a cloneable request");
        let first = next.clone().run(request, extensions).await?;
        if first.status() != StatusCode::SERVICE_UNAVAILABLE {
            return Ok(first);
        }
        next.run(again, extensions).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_attempt_of_a_retried_request_has_its_span_and_the_resend_is_counted() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let app = Router::new().route(
        "/flaky",
        get(move || {
            let first = counter.fetch_add(1, Ordering::SeqCst) == 0;
            async move {
                if first {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let address = serve(app).await;
    let client = ClientBuilder::new(reqwest::Client::builder().no_proxy().build().unwrap())
        .with(RetryOnce)
        .with(TracingMiddleware::new())
        .build();
    let (trace, status) = in_caller_span(async {
        client
            .get(format!("http://{address}/flaky"))
            .send()
            .await
            .unwrap()
            .status()
    })
    .await;
    assert_eq!(status, StatusCode::OK);
    let spans = spans_of(trace, 3);
    let attempts: Vec<_> = spans
        .iter()
        .filter(|s| s.kind == SpanKind::Client)
        .collect();
    assert_eq!(attempts.len(), 2);
    assert_eq!(
        attempts[0].tag("http.response.status_code"),
        Some(&TagValue::I64(503))
    );
    assert_eq!(attempts[0].tag("http.request.resend_count"), None);
    assert_eq!(
        attempts[1].tag("http.response.status_code"),
        Some(&TagValue::I64(200))
    );
    assert_eq!(
        attempts[1].tag("http.request.resend_count"),
        Some(&TagValue::I64(1))
    );
}
