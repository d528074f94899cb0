//! OTLP export for tracekit: finished spans in the OpenTelemetry protocol,
//! the format every OpenTelemetry Collector, Jaeger, Grafana Tempo and most
//! tracing backends take.
//!
//! [`OtlpExporter`] posts each batch to an OTLP/HTTP endpoint, in protobuf
//! (the default) or JSON, configured in code or from the standard
//! `OTEL_EXPORTER_OTLP_*` variables ([`OtlpBuilder::from_env`]). Every
//! protobuf request, over HTTP and over gRPC, is written the same way:
//! straight from the records to the wire bytes, in one pass. Failures
//! that may pass are tried again with backoff ([`Retry`]); spans a backend
//! refuses in a partial success are counted as dropped. With the `grpc`
//! feature, `Protocol::Grpc` exports over OTLP/gRPC (tonic); without it,
//! asking for gRPC is a configuration error that says so.
//!
//! ```no_run
//! use tracekit_otlp::{OtlpExporter, Protocol};
//!
//! let exporter = OtlpExporter::builder()
//!     .endpoint("http://collector:4318")
//!     .protocol(Protocol::HttpProtobuf)
//!     .build()
//!     .expect("a usable endpoint");
//! let _tracer = tracekit_runtime::Tracer::builder().exporter(exporter).install();
//! ```
//!
//! The encoders (`wire`, `encode`, `json`) and the OTLP messages (`proto`)
//! are reachable for this crate's tests and benchmarks, hidden from the
//! documentation: they are not a stable API.

pub mod config;
#[doc(hidden)]
pub mod encode;
mod exporter;
#[cfg(feature = "grpc")]
mod grpc;
#[doc(hidden)]
pub mod json;
#[doc(hidden)]
pub mod proto;
#[doc(hidden)]
pub mod wire;

pub use config::{ConfigError, Protocol};
pub use exporter::{OtlpBuilder, OtlpExporter};
pub use tracekit_transport::{Compression, Retry};
