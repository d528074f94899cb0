//! The OTLP/HTTP exporter against a real receiver on loopback: each batch
//! is one `POST /v1/traces` with the right content type and headers, the
//! body decodes to the spans; a refusal or a receiver that is not there is
//! an export error, counted, never a panic.

#[path = "support/receiver.rs"]
mod receiver;

use std::io::Read;
use std::time::{Duration, Instant};

use prost::Message;
use receiver::{Answer, Receiver};
use tracekit_otlp::proto::collector::ExportTraceServiceRequest;
use tracekit_otlp::proto::collector::{ExportTracePartialSuccess, ExportTraceServiceResponse};
use tracekit_otlp::{Compression, OtlpExporter, Protocol, Retry};
use tracekit_runtime::{Tracer, TracerStats};

/// A tracer exporting through `exporter`, after three spans were made
/// and flushed; its stats.
fn export_three(exporter: OtlpExporter) -> TracerStats {
    let tracer = Tracer::builder()
        .service_name("shop")
        .exporter(exporter)
        .build();
    let root = tracer.span("checkout").start();
    tracer
        .span("load_cart")
        .child_of(root.context())
        .start()
        .finish();
    tracer.span("pay").child_of(root.context()).start().finish();
    root.finish();
    let _ = tracer.flush();
    tracer.stats()
}

#[test]
fn a_batch_is_one_protobuf_post_to_v1_traces_with_the_headers() {
    let receiver = Receiver::start(200, "");
    let exporter = OtlpExporter::builder()
        .endpoint(&receiver.endpoint())
        .header("x-api-key", "secret")
        .build()
        .unwrap();
    assert_eq!(exporter.url(), format!("{}/v1/traces", receiver.endpoint()));
    let stats = export_three(exporter);
    assert_eq!(stats.spans_exported, 3);

    let requests = receiver.requests();
    let spans: usize = requests
        .iter()
        .map(|request| {
            assert_eq!(request.method, "POST");
            assert_eq!(request.path, "/v1/traces");
            assert_eq!(
                request.header("content-type"),
                Some("application/x-protobuf")
            );
            assert_eq!(request.header("x-api-key"), Some("secret"));
            let decoded = ExportTraceServiceRequest::decode(request.body.as_slice()).unwrap();
            let resource = decoded.resource_spans[0].resource.as_ref().unwrap();
            assert_eq!(resource.attributes[0].key, "service.name");
            decoded.resource_spans[0].scope_spans[0].spans.len()
        })
        .sum();
    assert_eq!(spans, 3, "every span arrived once");
}

#[test]
fn the_json_protocol_posts_otlp_json() {
    let receiver = Receiver::start(200, "");
    let exporter = OtlpExporter::builder()
        .endpoint(&receiver.endpoint())
        .protocol(Protocol::HttpJson)
        .build()
        .unwrap();
    assert_eq!(export_three(exporter).spans_exported, 3);
    let requests = receiver.requests();
    let names: Vec<String> = requests
        .iter()
        .flat_map(|request| {
            assert_eq!(request.header("content-type"), Some("application/json"));
            let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
            let spans = body["resourceSpans"][0]["scopeSpans"][0]["spans"]
                .as_array()
                .unwrap()
                .clone();
            spans
                .into_iter()
                .map(|s| s["name"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
}

#[test]
fn a_gzip_body_says_so_and_unpacks_to_the_request() {
    let receiver = Receiver::start(200, "");
    let exporter = OtlpExporter::builder()
        .endpoint(&receiver.endpoint())
        .compression(Compression::Gzip)
        .build()
        .unwrap();
    assert_eq!(export_three(exporter).spans_exported, 3);
    let spans: usize = receiver
        .requests()
        .iter()
        .map(|request| {
            assert_eq!(request.header("content-encoding"), Some("gzip"));
            let mut body = Vec::new();
            flate2::read::GzDecoder::new(request.body.as_slice())
                .read_to_end(&mut body)
                .expect("a gzip body");
            let decoded = ExportTraceServiceRequest::decode(body.as_slice()).unwrap();
            decoded.resource_spans[0].scope_spans[0].spans.len()
        })
        .sum();
    assert_eq!(spans, 3);
}

/// Retries that wait little, for tests.
/// An exporter to `receiver` that tries again with `retry`.
fn exporter_to(receiver: &Receiver, retry: Retry) -> OtlpExporter {
    OtlpExporter::builder()
        .endpoint(&receiver.endpoint())
        .retry(retry)
        .build()
        .unwrap()
}

fn quick(max_elapsed: Duration) -> Retry {
    Retry {
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(40),
        max_elapsed,
    }
}

#[test]
fn a_busy_backend_is_tried_again_as_it_asks_and_gets_the_batch_once() {
    let receiver = Receiver::scripted(vec![
        Answer::new(503, "down for a moment").header("retry-after", "0"),
        Answer::new(429, "slow down").header("retry-after", "0"),
        Answer::new(502, "bad gateway"),
        Answer::new(200, ""),
    ]);
    let exporter = exporter_to(&receiver, quick(Duration::from_secs(30)));
    let stats = export_three(exporter);
    assert_eq!((stats.spans_exported, stats.dropped()), (3, 0));
    let requests = receiver.requests();
    assert_eq!(requests.len(), 4, "three refusals, then the delivery");
    assert!(
        requests.windows(2).all(|pair| pair[0].body == pair[1].body),
        "the same batch each time"
    );
}

#[test]
fn a_backend_that_comes_back_gets_the_batch() {
    // A port that was open a moment ago; the receiver opens it again while
    // the exporter is trying.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let exporter = OtlpExporter::builder()
        .endpoint(&format!("http://{addr}"))
        .retry(quick(Duration::from_secs(30)))
        .build()
        .unwrap();
    let comes_back = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        Receiver::scripted_at(&addr.to_string(), vec![Answer::new(200, "")])
    });
    let stats = export_three(exporter);
    let receiver = comes_back.join().unwrap();
    assert_eq!((stats.spans_exported, stats.dropped()), (3, 0));
    assert_eq!(receiver.requests().len(), 1, "delivered once");
}

#[test]
fn a_backend_that_stays_down_gets_tries_within_the_limit_then_the_batch_is_dropped() {
    let receiver = Receiver::start(503, "down");
    let exporter = exporter_to(&receiver, quick(Duration::from_millis(300)));
    let stats = export_three(exporter);
    assert_eq!((stats.spans_exported, stats.dropped_export_failed), (0, 3));
    assert!(receiver.requests().len() >= 2, "tried again");
}

#[test]
fn a_backend_that_hangs_past_the_timeout_or_cuts_its_answer_is_tried_again() {
    for trouble in [Answer::hang(Duration::from_secs(5)), Answer::cut()] {
        let receiver = Receiver::scripted(vec![trouble.clone(), Answer::new(200, "")]);
        let exporter = OtlpExporter::builder()
            .endpoint(&receiver.endpoint())
            .timeout(Duration::from_millis(300))
            .retry(quick(Duration::from_secs(30)))
            .build()
            .unwrap();
        let stats = export_three(exporter);
        assert_eq!(
            (stats.spans_exported, stats.dropped()),
            (3, 0),
            "{trouble:?}"
        );
        assert_eq!(receiver.requests().len(), 2, "{trouble:?}");
    }
}

#[test]
fn a_bad_request_is_not_tried_again() {
    let receiver = Receiver::start(400, "malformed");
    let exporter = exporter_to(&receiver, quick(Duration::from_secs(30)));
    let stats = export_three(exporter);
    assert_eq!(stats.dropped_export_failed, 3);
    assert_eq!(receiver.requests().len(), 1);
}

#[test]
fn a_partial_success_drops_the_refused_spans_and_exports_the_rest() {
    let response = ExportTraceServiceResponse {
        partial_success: Some(ExportTracePartialSuccess {
            rejected_spans: 1,
            error_message: "name too long".into(),
        }),
    };
    for (protocol, body) in [
        (Protocol::HttpProtobuf, response.encode_to_vec()),
        (
            Protocol::HttpJson,
            br#"{"partialSuccess":{"rejectedSpans":"1","errorMessage":"name too long"}}"#.to_vec(),
        ),
    ] {
        let receiver = Receiver::scripted(vec![Answer::new(200, body)]);
        let exporter = OtlpExporter::builder()
            .endpoint(&receiver.endpoint())
            .protocol(protocol)
            .build()
            .unwrap();
        let stats = export_three(exporter);
        assert_eq!(
            (stats.spans_exported, stats.dropped_export_failed),
            (2, 1),
            "{protocol:?}"
        );
        assert_eq!(receiver.requests().len(), 1, "not sent again");
    }
}

#[test]
fn a_refused_batch_is_an_export_error_counted_as_dropped() {
    let receiver = Receiver::start(400, "bad request: no");
    let exporter = OtlpExporter::builder()
        .endpoint(&receiver.endpoint())
        .build()
        .unwrap();
    let stats = export_three(exporter);
    assert_eq!(stats.spans_exported, 0);
    assert_eq!(stats.dropped_export_failed, 3);
    assert!(stats.export_errors >= 1);
    assert!(!receiver.requests().is_empty(), "the receiver was asked");
}

#[test]
fn a_receiver_that_is_not_there_fails_the_export_quickly() {
    // A port that was open a moment ago and is closed now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let exporter = OtlpExporter::builder()
        .endpoint(&format!("http://127.0.0.1:{port}"))
        .timeout(Duration::from_secs(2))
        .retry(Retry::none())
        .build()
        .unwrap();
    let started = Instant::now();
    let stats = export_three(exporter);
    assert_eq!(stats.spans_exported, 0);
    assert_eq!(stats.dropped_export_failed, 3);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "refused, not timed out"
    );
}

#[test]
fn an_unusable_configuration_is_refused_when_built() {
    for (builder, source) in [
        (
            OtlpExporter::builder().traces_url("ftp://collector/v1"),
            "endpoint",
        ),
        (OtlpExporter::builder().header("bad name", "v"), "header"),
        (OtlpExporter::builder().header("x", "line\nbreak"), "header"),
    ] {
        let err = builder.build().err().expect("refused");
        assert_eq!(err.source, source, "{err}");
    }
    #[cfg(not(feature = "tls"))]
    {
        let https = OtlpExporter::builder().endpoint("https://collector:4318");
        let err = https.build().err().expect("TLS is a feature");
        assert!(err.reason.contains("`tls` feature"), "{err}");
    }
}
