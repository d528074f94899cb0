//! Work a handler hands to other tasks and threads stays in the request's
//! trace, as the crate docs say: `tokio::spawn` of a future carrying the
//! current context, and `spawn_blocking` of a closure that attaches it.

mod support;

use axum::Router;
use axum::routing::get;
use support::{fetch, in_caller_span, named, serve, spans_of};
use tracekit::{Context, FutureExt, traced};
use tracekit_http::ServerLayer;

#[traced]
async fn restock(item: &'static str) -> usize {
    tokio::task::yield_now().await;
    item.len()
}

#[traced]
fn audit(item: &'static str) -> usize {
    item.len() * 2
}

async fn handler() -> String {
    let spawned = tokio::spawn(async { restock("pear").await }.with_current_context());
    let context = Context::current();
    let blocking = tokio::task::spawn_blocking(move || context.run(|| audit("pear")));
    let (a, b) = (
        spawned.await.expect("spawned"),
        blocking.await.expect("blocking"),
    );
    (a + b).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawned_and_blocking_work_are_children_of_the_request_span() {
    let address = serve(
        Router::new()
            .route("/work", get(handler))
            .layer(ServerLayer::new()),
    )
    .await;
    let (trace, (status, body)) = in_caller_span(fetch(format!("http://{address}/work"))).await;
    assert_eq!((status, body.as_str()), (200, "12"));
    let spans = spans_of(trace, 5);
    let server = named(&spans, "GET /work");
    assert_eq!(named(&spans, "restock").parent_id, Some(server.span_id));
    assert_eq!(named(&spans, "audit").parent_id, Some(server.span_id));
}
