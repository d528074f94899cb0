//! What the HTTP tests share: one global tracer whose spans land in
//! memory, a way to wait for a trace's spans, and servers on loopback.
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tracekit::export::Memory;
use tracekit::{FutureExt, SpanKind, SpanRecord, TagValue, TraceId};

/// The spans every test's tracer exports.
pub fn memory() -> &'static Memory {
    static MEMORY: OnceLock<Memory> = OnceLock::new();
    MEMORY.get_or_init(|| {
        let memory = Memory::new();
        let guard = tracekit::Tracer::builder()
            .service_name("http-tests")
            .exporter(memory.clone())
            .install();
        // Installed for the whole test binary.
        std::mem::forget(guard);
        memory
    })
}

/// Waits until `count` spans of `trace` have been exported (a server span
/// finishes when its response body has gone out, which may be after the
/// client has read it); panics after 10 s with what arrived.
pub fn spans_of(trace: TraceId, count: usize) -> Vec<SpanRecord> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        tracekit::global().flush().expect("flushed");
        let spans: Vec<SpanRecord> = memory()
            .spans()
            .into_iter()
            .filter(|span| span.trace_id == trace)
            .collect();
        if spans.len() >= count || Instant::now() > deadline {
            assert_eq!(spans.len(), count, "spans of {trace}: {spans:#?}");
            return spans;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The (first) span of `kind` among `spans`.
pub fn of_kind(spans: &[SpanRecord], kind: SpanKind) -> &SpanRecord {
    spans
        .iter()
        .find(|span| span.kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?} span in {spans:#?}"))
}

/// The span named `name` among `spans`.
pub fn named<'a>(spans: &'a [SpanRecord], name: &str) -> &'a SpanRecord {
    spans
        .iter()
        .find(|span| span.name == name)
        .unwrap_or_else(|| panic!("no span {name:?} in {spans:#?}"))
}

/// Serves `app` on an ephemeral loopback port, with the peer's address in
/// each request; returns the address.
pub async fn serve(app: axum::Router) -> SocketAddr {
    memory();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let address = listener.local_addr().expect("its address");
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("served");
    });
    address
}

/// A reqwest client with the tracing middleware.
pub fn client() -> reqwest_middleware::ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::new(
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("a client"),
    )
    .with(tracekit_http::TracingMiddleware::new())
    .build()
}

/// Runs `work` inside a new root span named "caller": returns its trace
/// and what `work` returned.
pub async fn in_caller_span<F: Future>(work: F) -> (TraceId, F::Output) {
    let caller = tracekit::global().span("caller").start();
    let trace = caller.trace_id();
    (trace, work.in_span(caller).await)
}

/// GETs `url` with the traced client: the status and the body.
pub async fn fetch(url: String) -> (u16, String) {
    let response = client().get(url).send().await.expect("a response");
    let status = response.status().as_u16();
    (status, response.text().await.expect("a body"))
}

/// Asserts that the client span `span` names `address` as the peer that
/// answered, over HTTP/1.1.
pub fn assert_answered_by(span: &SpanRecord, address: SocketAddr) {
    assert_eq!(
        span.tag("network.peer.address"),
        Some(&TagValue::from(address.ip().to_string()))
    );
    assert_eq!(
        span.tag("network.peer.port"),
        Some(&TagValue::I64(i64::from(address.port())))
    );
    assert_eq!(
        span.tag("network.protocol.version"),
        Some(&TagValue::from("1.1"))
    );
}
