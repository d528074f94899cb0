//! OTLP export for tracekit: finished spans in the OpenTelemetry protocol,
//! the format every OpenTelemetry Collector, Jaeger, Grafana Tempo and most
//! tracing backends take.
//!
//! What is here so far: the OTLP messages ([`proto`], generated from the
//! official `.proto` files) and the encoding of a batch of spans
//! ([`encode::request`]). Sending them over HTTP and gRPC comes next.
//!
//! ```
//! use prost::Message;
//! use tracekit_otlp::encode;
//! use tracekit_otlp::proto::collector::ExportTraceServiceRequest;
//! use tracekit_runtime::{Resource, testing};
//!
//! let ((), spans) = testing::capture(|| {
//!     tracekit_runtime::global().span("checkout").tag("items", 3).start().finish();
//! });
//! let body = encode::request(&Resource::new("shop"), &spans).encode_to_vec();
//! let decoded = ExportTraceServiceRequest::decode(body.as_slice()).unwrap();
//! let span = &decoded.resource_spans[0].scope_spans[0].spans[0];
//! assert_eq!(span.name, "checkout");
//! ```

pub mod encode;
pub mod proto;
