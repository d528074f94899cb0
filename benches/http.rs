//! The HTTP layers' overhead per request, in process, without a network:
//! a tower service answering a small body, called bare, behind
//! tracekit's server layer, and behind tower-http's `TraceLayer` with
//! tracing-opentelemetry over the OpenTelemetry SDK (the peer); then
//! tracekit's client layer and reqwest middleware against the same
//! request without them (and the middleware against a pass-through one:
//! the cost of one more middleware in the chain). Every span is recorded and reaches a counting
//! sink. Run with `cargo bench --bench http`.

#[allow(dead_code)] // the async helpers serve the comparison bench
mod support;

use std::convert::Infallible;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use support::{CountingExporter, block_on, flush_global, otel_subscriber};
use tower::{Service, ServiceBuilder, ServiceExt};

fn request() -> Request<Full<Bytes>> {
    Request::get("/items/42?color=red")
        .header("host", "shop.example")
        .header("user-agent", "bench/1.0")
        .body(Full::new(Bytes::new()))
        .expect("a request")
}

async fn answer(_: Request<Full<Bytes>>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(b"apple"))))
}

/// Sends one request through `service` and reads the whole answer, as a
/// server does.
fn serve_one<S, B>(service: &mut S) -> usize
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>>,
    S::Error: std::fmt::Debug,
    B: http_body::Body<Data = Bytes>,
    B::Error: std::fmt::Debug,
{
    block_on(async {
        let response = service
            .ready()
            .await
            .expect("ready")
            .call(request())
            .await
            .expect("answered");
        response
            .into_body()
            .collect()
            .await
            .expect("a body")
            .to_bytes()
            .len()
    })
}

/// A last middleware that answers every request itself: the client
/// middleware's cost without a network.
struct Answer;

#[async_trait::async_trait]
impl reqwest_middleware::Middleware for Answer {
    async fn handle(
        &self,
        _: reqwest::Request,
        _: &mut http::Extensions,
        _: reqwest_middleware::Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        Ok(reqwest::Response::from(Response::new("apple")))
    }
}

/// A middleware that only passes each request on: what being one more
/// middleware in the chain costs, whatever it does.
struct PassOn;

#[async_trait::async_trait]
impl reqwest_middleware::Middleware for PassOn {
    async fn handle(
        &self,
        request: reqwest::Request,
        extensions: &mut http::Extensions,
        next: reqwest_middleware::Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        next.run(request, extensions).await
    }
}

fn server(c: &mut Criterion) {
    let exported = CountingExporter::default();
    // A queue that holds every span made between two exports: none dropped.
    let _tracer = tracekit::Tracer::builder()
        .exporter(exported.clone())
        .batch(tracekit::BatchConfig {
            max_queue_size: 1 << 20,
            ..tracekit::BatchConfig::default()
        })
        .install();

    let mut group = c.benchmark_group("http server, one request");
    let mut bare = tower::service_fn(answer);
    group.bench_function("no layer", |b| b.iter(|| serve_one(&mut bare)));

    let mut traced = ServiceBuilder::new()
        .layer(tracekit_http::ServerLayer::new())
        .service_fn(answer);
    check_records(&mut traced, &exported);
    group.bench_function("tracekit ServerLayer", |b| {
        b.iter(|| serve_one(&mut traced))
    });

    let (subscriber, otel) = otel_subscriber();
    let mut peer = ServiceBuilder::new()
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .service_fn(answer);
    tracing::subscriber::with_default(subscriber, || {
        serve_one(&mut peer);
        assert_eq!(
            otel.0.load(Ordering::Relaxed),
            1,
            "the peer records its span"
        );
        group.bench_function("tower-http TraceLayer + tracing-opentelemetry", |b| {
            b.iter(|| serve_one(&mut peer))
        });
    });
    group.finish();

    let mut group = c.benchmark_group("http client, one request under an active span");
    let parent = tracekit::global().span("caller").start();
    let _active = parent.activate();
    group.bench_function("no layer", |b| b.iter(|| serve_one(&mut bare)));
    let mut client = ServiceBuilder::new()
        .layer(tracekit_http::ClientLayer::new())
        .service_fn(answer);
    check_records(&mut client, &exported);
    group.bench_function("tracekit ClientLayer", |b| {
        b.iter(|| serve_one(&mut client))
    });

    let plain = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(Answer)
        .build();
    let passing = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(PassOn)
        .with(Answer)
        .build();
    let traced_client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(tracekit_http::TracingMiddleware::new())
        .with(Answer)
        .build();
    let send = |client: &reqwest_middleware::ClientWithMiddleware| {
        block_on(async {
            // With a header, as the tower client's request has: reqwest
            // adds its default headers (`accept` at least) to this map
            // further down anyway, so the map's first allocation is every
            // request's, not the tracing middleware's.
            let response = client
                .get("http://shop.example/items/42")
                .header("user-agent", "bench/1.0")
                .send()
                .await
                .expect("answered");
            response.status().as_u16()
        })
    };
    group.bench_function("reqwest-middleware, no middleware of tracekit's", |b| {
        b.iter(|| send(&plain))
    });
    group.bench_function("reqwest-middleware + a pass-through middleware", |b| {
        b.iter(|| send(&passing))
    });
    group.bench_function("reqwest-middleware + tracekit TracingMiddleware", |b| {
        b.iter(|| send(&traced_client))
    });
    group.finish();
    drop(_active);
    drop(parent);
    tracekit::global()
        .flush()
        .expect("flushed: every span reached the sink");
}

/// One request through `service` must give one span to tracekit's sink.
fn check_records<S, B>(service: &mut S, exported: &CountingExporter)
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>>,
    S::Error: std::fmt::Debug,
    B: http_body::Body<Data = Bytes>,
    B::Error: std::fmt::Debug,
{
    let before = exported.0.load(Ordering::Relaxed);
    serve_one(service);
    flush_global();
    assert_eq!(
        exported.0.load(Ordering::Relaxed),
        before + 1,
        "one span per request"
    );
}

criterion_group!(benches, server);
criterion_main!(benches);
