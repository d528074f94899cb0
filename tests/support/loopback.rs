//! One traced request to an app of the test's own: the app served on a
//! loopback port, a GET sent through the reqwest middleware inside a
//! `caller` span.

use std::net::SocketAddr;

use tracekit::http::TracingMiddleware;
use tracekit::{FutureExt, TraceId};

/// Serves `app`, sends `GET path` to it from a `caller` span; the answer's
/// body and the caller's trace.
pub async fn get_from_caller(app: axum::Router, path: &str) -> (String, TraceId) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(TracingMiddleware::default())
        .build();
    let caller = tracekit::global().span("caller").start();
    let trace = caller.trace_id();
    let answer = async {
        let response = client.get(format!("http://{address}{path}")).send();
        response.await.unwrap().text().await.unwrap()
    }
    .in_span(caller)
    .await;
    (answer, trace)
}
