//! Many requests at once on few workers: every span keeps its own parent.

mod support;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use support::{client, memory, serve};
use tracekit::{FutureExt, SpanKind, SpanRecord, TraceId, traced};
use tracekit_http::ServerLayer;

#[traced]
fn price(item: u64) -> u64 {
    item * 3
}

#[traced]
async fn quote(item: u64) -> String {
    tokio::task::yield_now().await;
    let total = price(item);
    tokio::task::yield_now().await;
    total.to_string()
}

const REQUESTS: u64 = 1_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_requests_on_two_workers_keep_their_parents() {
    let app = Router::new()
        .route("/quote/{item}", get(|Path(item): Path<u64>| quote(item)))
        .layer(ServerLayer::new());
    let address = serve(app).await;
    let client = client();
    let requests: Vec<_> = (0..REQUESTS)
        .map(|item| {
            let client = client.clone();
            tokio::spawn(async move {
                let caller = tracekit::global()
                    .span("caller")
                    .tag("item", item as i64)
                    .start();
                let trace = caller.trace_id();
                let body = async {
                    client
                        .get(format!("http://{address}/quote/{item}"))
                        .send()
                        .await
                        .expect("a response")
                        .text()
                        .await
                        .expect("a body")
                }
                .in_span(caller)
                .await;
                assert_eq!(body, (item * 3).to_string());
                trace
            })
        })
        .collect();
    let mut traces = HashSet::new();
    for request in requests {
        traces.insert(request.await.expect("request task"));
    }
    assert_eq!(traces.len(), REQUESTS as usize);

    let by_trace = wait_for(&traces, 5);
    for (trace, spans) in &by_trace {
        let find = |pred: &dyn Fn(&SpanRecord) -> bool| {
            spans
                .iter()
                .find(|s| pred(s))
                .unwrap_or_else(|| panic!("{trace}: {spans:#?}"))
        };
        let caller = find(&|s| s.name == "caller");
        let client_span = find(&|s| s.kind == SpanKind::Client);
        let server = find(&|s| s.kind == SpanKind::Server);
        let handler = find(&|s| s.name == "quote");
        let inner = find(&|s| s.name == "price");
        assert_eq!(client_span.parent_id, Some(caller.span_id));
        assert_eq!(server.parent_id, Some(client_span.span_id));
        assert_eq!(handler.parent_id, Some(server.span_id));
        assert_eq!(inner.parent_id, Some(handler.span_id));
        let item = caller.tag("item").and_then(|v| v.as_i64()).expect("item");
        assert_eq!(
            server.tag("url.path").and_then(|v| v.as_str()),
            Some(format!("/quote/{item}").as_str())
        );
    }
}

/// The spans of each of `traces`, once each has `per_trace`.
fn wait_for(traces: &HashSet<TraceId>, per_trace: usize) -> HashMap<TraceId, Vec<SpanRecord>> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        tracekit::global().flush().expect("flushed");
        let mut by_trace: HashMap<TraceId, Vec<SpanRecord>> = HashMap::new();
        for span in memory().spans() {
            if traces.contains(&span.trace_id) {
                by_trace.entry(span.trace_id).or_default().push(span);
            }
        }
        let complete = by_trace
            .values()
            .filter(|spans| spans.len() == per_trace)
            .count();
        if complete == traces.len() || Instant::now() > deadline {
            assert_eq!(complete, traces.len(), "traces with all their spans");
            return by_trace;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
