//! OTLP export for tracekit: finished spans in the OpenTelemetry protocol,
//! the format every OpenTelemetry Collector, Jaeger, Grafana Tempo and most
//! tracing backends take.
//!
//! [`OtlpExporter`] posts each batch to an OTLP/HTTP endpoint, in protobuf
//! (the default) or JSON, configured in code or from the standard
//! `OTEL_EXPORTER_OTLP_*` variables ([`OtlpBuilder::from_env`]). Below it:
//! the OTLP messages ([`proto`], generated from the official `.proto`
//! files), a batch as a request ([`encode::request`]), the same request
//! written straight to protobuf bytes ([`wire::write_request`], what the
//! exporter sends) and OTLP's JSON mapping ([`json`]). Failures that may pass are tried again with backoff
//! ([`Retry`]); spans a backend refuses in a partial success are counted
//! as dropped. With the `grpc` feature, `Protocol::Grpc` exports over
//! OTLP/gRPC (tonic); without it, asking for gRPC is a configuration
//! error that says so.
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

pub mod config;
pub mod encode;
mod exporter;
#[cfg(feature = "grpc")]
mod grpc;
pub mod json;
pub mod proto;
pub mod wire;

pub use config::{ConfigError, Protocol};
pub use exporter::{OtlpBuilder, OtlpExporter};
pub use tracekit_transport::{Compression, Retry};
