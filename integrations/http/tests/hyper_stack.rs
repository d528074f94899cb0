//! hyper on both sides: a hyper server through hyper-util's tower adapter
//! with the server layer, and hyper-util's client with the client layer.

mod support;

use std::net::SocketAddr;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use support::{in_caller_span, memory, named, of_kind, spans_of};
use tower::{Service, ServiceBuilder, ServiceExt};
use tracekit::{SpanKind, TagValue, traced};
use tracekit_http::{ClientLayer, ServerLayer};

#[traced]
async fn stock(path: String) -> usize {
    path.len()
}

/// A plain hyper server: one connection task per client, the traced
/// service through hyper-util's tower adapter; the peer address goes into
/// each request as a `SocketAddr` extension.
async fn hyper_server() -> SocketAddr {
    memory();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let address = listener.local_addr().expect("its address");
    tokio::spawn(async move {
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                continue;
            };
            let service = ServiceBuilder::new()
                .map_request(move |mut request: Request<Incoming>| {
                    request.extensions_mut().insert(peer);
                    request
                })
                .layer(ServerLayer::new().on_request(|parts, span| {
                    // Without axum's router, the route comes from the app.
                    if parts.uri.path().starts_with("/stock/") {
                        span.set_operation_name(format!("{} /stock/{{item}}", parts.method));
                        span.set_tag("http.route", "/stock/{item}");
                    }
                }))
                .service_fn(|request: Request<Incoming>| async move {
                    if request.uri().path() == "/fail" {
                        return Err(std::io::Error::other("the stock database is down"));
                    }
                    let count = stock(request.uri().path().to_owned()).await;
                    Ok(Response::new(Full::new(Bytes::from(count.to_string()))))
                });
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
                    .await;
            });
        }
    });
    address
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hyper_client_and_a_hyper_server_share_the_trace() {
    let address = hyper_server().await;
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let mut client = ServiceBuilder::new()
        .layer(ClientLayer::new())
        .service(client);

    let (trace, body) = in_caller_span(async {
        let request = Request::get(format!("http://{address}/stock/pear"))
            .body(Empty::new())
            .expect("a request");
        let response = client
            .ready()
            .await
            .expect("ready")
            .call(request)
            .await
            .expect("a response");
        assert_eq!(response.status(), StatusCode::OK);
        response
            .into_body()
            .collect()
            .await
            .expect("a body")
            .to_bytes()
    })
    .await;
    assert_eq!(body, "11");

    let spans = spans_of(trace, 4);
    let client_span = of_kind(&spans, SpanKind::Client);
    let server = named(&spans, "GET /stock/{item}");
    assert_eq!(server.parent_id, Some(client_span.span_id));
    assert_eq!(named(&spans, "stock").parent_id, Some(server.span_id));
    assert_eq!(
        server.tag("client.address"),
        Some(&TagValue::from("127.0.0.1"))
    );
    assert_eq!(client_span.name, "GET");
    assert_eq!(
        client_span.tag("url.full"),
        Some(&TagValue::from(format!("http://{address}/stock/pear")))
    );
    assert_eq!(
        client_span.tag("server.port"),
        Some(&TagValue::I64(i64::from(address.port())))
    );
    assert_eq!(
        client_span.tag("http.response.status_code"),
        Some(&TagValue::I64(200))
    );
    // From the `HttpInfo` hyper-util's connector leaves on the response.
    support::assert_answered_by(client_span, address);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_is_a_transport_error_on_the_client_span() {
    memory();
    // A port nothing listens on: bound, then closed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let mut client = ServiceBuilder::new()
        .layer(ClientLayer::new())
        .service(client);
    let (trace, ()) = in_caller_span(async {
        let request = Request::get(format!("http://{closed}/"))
            .body(Empty::new())
            .unwrap();
        assert!(client.ready().await.unwrap().call(request).await.is_err());
    })
    .await;
    let spans = spans_of(trace, 2);
    let client_span = of_kind(&spans, SpanKind::Client);
    assert_eq!(client_span.tag("error"), Some(&TagValue::Bool(true)));
    assert_eq!(
        client_span.tag("error.type"),
        Some(&TagValue::from("transport"))
    );
    assert_eq!(client_span.tag("http.response.status_code"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_error_marks_the_server_span_with_the_errors_type_and_message() {
    let address = hyper_server().await;
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let mut client = ServiceBuilder::new()
        .layer(ClientLayer::new())
        .service(client);
    let (trace, ()) = in_caller_span(async {
        let request = Request::get(format!("http://{address}/fail"))
            .body(Empty::new())
            .unwrap();
        // hyper closes the connection of a service that failed.
        assert!(client.ready().await.unwrap().call(request).await.is_err());
    })
    .await;
    let spans = spans_of(trace, 3);
    let server = of_kind(&spans, SpanKind::Server);
    assert_eq!(server.tag("error"), Some(&TagValue::Bool(true)));
    assert_eq!(
        server.tag("error.type"),
        Some(&TagValue::from("std::io::error::Error"))
    );
    let message = server.logs[0].field("message").and_then(|v| v.as_str());
    assert_eq!(message, Some("the stock database is down"));
}
