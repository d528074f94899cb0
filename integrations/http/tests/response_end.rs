//! When the server span ends: after the last chunk of a streaming body,
//! or, tagged `cancelled`, when the client goes away mid-response.

mod support;

use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use bytes::Bytes;
use futures_util::StreamExt;
use support::{client, in_caller_span, named, of_kind, serve, spans_of};
use tokio::sync::oneshot;
use tracekit::{SpanKind, TagValue};
use tracekit_http::ServerLayer;

/// How far the tracer's clock may stray from `SystemTime`.
const CLOCK_TOLERANCE: Duration = Duration::from_millis(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streaming_body_ends_the_span_after_its_last_chunk() {
    let (last_chunk_tx, last_chunk_rx) = oneshot::channel::<SystemTime>();
    let last_chunk_tx = std::sync::Arc::new(std::sync::Mutex::new(Some(last_chunk_tx)));
    let app = Router::new()
        .route(
            "/report",
            get(move || {
                let sender = last_chunk_tx.lock().unwrap().take();
                async move {
                    let chunks = futures_util::stream::iter(0..3).then(|n| async move {
                        tokio::time::sleep(Duration::from_millis(40)).await;
                        Ok::<_, std::io::Error>(Bytes::from(format!("chunk {n}\n")))
                    });
                    let marked = chunks.chain(futures_util::stream::once(async move {
                        if let Some(sender) = sender {
                            let _ = sender.send(SystemTime::now());
                        }
                        Ok(Bytes::new())
                    }));
                    Body::from_stream(marked)
                }
            }),
        )
        .layer(ServerLayer::new());
    let address = serve(app).await;

    let (trace, body) = in_caller_span(async {
        client()
            .get(format!("http://{address}/report"))
            .send()
            .await
            .expect("a response")
            .text()
            .await
            .expect("the whole body")
    })
    .await;
    assert_eq!(body, "chunk 0\nchunk 1\nchunk 2\n");
    let last_chunk = last_chunk_rx.await.expect("the last chunk was made");

    let spans = spans_of(trace, 3);
    let server = named(&spans, "GET /report");
    // Span times come from the tracer's clock, which keeps within a
    // millisecond of `SystemTime` (tests/timestamps.rs), not to the
    // nanosecond; the chunks are 40 ms apart, so ending at an earlier one
    // still fails.
    assert!(
        server.end + CLOCK_TOLERANCE >= last_chunk,
        "ended at {:?}, last chunk at {last_chunk:?}",
        server.end
    );
    assert!(server.end.duration_since(server.start).unwrap() >= Duration::from_millis(120));
    assert_eq!(server.tag("cancelled"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_goes_away_mid_response_cancels_the_span() {
    let app = Router::new()
        .route(
            "/endless",
            get(|| async {
                let first = futures_util::stream::once(async {
                    Ok::<_, std::io::Error>(Bytes::from("first"))
                });
                Body::from_stream(first.chain(futures_util::stream::pending()))
            }),
        )
        .layer(ServerLayer::new());
    let address = serve(app).await;

    let (trace, ()) = in_caller_span(async {
        let mut response = client()
            .get(format!("http://{address}/endless"))
            .send()
            .await
            .expect("a response");
        let first = response
            .chunk()
            .await
            .expect("a chunk")
            .expect("not the end");
        assert_eq!(first, "first");
        // Dropping the response closes the connection.
    })
    .await;

    let spans = spans_of(trace, 3);
    let server = of_kind(&spans, SpanKind::Server);
    assert_eq!(server.tag("cancelled"), Some(&TagValue::Bool(true)));
    assert_eq!(
        server.tag("http.response.status_code"),
        Some(&TagValue::I64(200))
    );
}
