//! gRPC through the layers: a tonic server behind the server layer and a
//! tonic client over the client layer; the call is one trace, named
//! `package.Service/Method` on the server, with its gRPC status.

mod support;

use support::{in_caller_span, memory, of_kind, spans_of};
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Server};
use tonic_health::ServingStatus;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use tower::ServiceBuilder;
use tracekit::{SpanKind, TagValue};
use tracekit_http::{ClientLayer, ServerLayer};

/// tonic's health service, traced, on an ephemeral loopback port.
async fn health_server() -> std::net::SocketAddr {
    memory();
    let (reporter, service) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("shop", ServingStatus::Serving)
        .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let address = listener.local_addr().expect("its address");
    tokio::spawn(async move {
        // Keep the reporter alive: the statuses live as long as it does.
        let _reporter = reporter;
        Server::builder()
            .layer(ServerLayer::new())
            .add_service(service)
            .serve_with_incoming(TcpIncoming::from(listener))
            .await
            .expect("served");
    });
    address
}

async fn client(
    address: std::net::SocketAddr,
) -> HealthClient<tracekit_http::ClientService<Channel>> {
    let channel = Channel::from_shared(format!("http://{address}"))
        .expect("a URI")
        .connect()
        .await
        .expect("connected");
    HealthClient::new(
        ServiceBuilder::new()
            .layer(ClientLayer::new())
            .service(channel),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grpc_call_is_one_trace_named_by_its_service_and_method() {
    let address = health_server().await;
    let mut health = client(address).await;
    let (trace, status) = in_caller_span(async {
        let request = HealthCheckRequest {
            service: "shop".into(),
        };
        health
            .check(request)
            .await
            .expect("an answer")
            .into_inner()
            .status
    })
    .await;
    assert_eq!(status, ServingStatus::Serving as i32);

    let spans = spans_of(trace, 3);
    let client_span = of_kind(&spans, SpanKind::Client);
    let server = of_kind(&spans, SpanKind::Server);
    assert_eq!(server.parent_id, Some(client_span.span_id));
    assert_eq!(server.name, "grpc.health.v1.Health/Check");
    assert_eq!(server.tag("rpc.system"), Some(&TagValue::from("grpc")));
    assert_eq!(
        server.tag("rpc.service"),
        Some(&TagValue::from("grpc.health.v1.Health"))
    );
    assert_eq!(server.tag("rpc.method"), Some(&TagValue::from("Check")));
    assert_eq!(server.tag("rpc.grpc.status_code"), Some(&TagValue::I64(0)));
    assert_eq!(
        server.tag("network.protocol.version"),
        Some(&TagValue::from("2"))
    );
    assert_eq!(server.tag("error"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grpc_error_status_is_read_from_the_answer() {
    let address = health_server().await;
    let mut health = client(address).await;
    let (trace, answer) = in_caller_span(async {
        // An unknown service: NOT_FOUND, the client's doing, not an error
        // of the server's.
        health
            .check(HealthCheckRequest {
                service: "nowhere".into(),
            })
            .await
    })
    .await;
    assert_eq!(
        answer.expect_err("no such service").code(),
        tonic::Code::NotFound
    );
    let spans = spans_of(trace, 3);
    let server = of_kind(&spans, SpanKind::Server);
    assert_eq!(server.tag("rpc.grpc.status_code"), Some(&TagValue::I64(5)));
    assert_eq!(server.tag("error"), None);
}
