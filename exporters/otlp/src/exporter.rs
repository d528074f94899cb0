//! The OTLP/HTTP exporter: each batch is one `POST` of an
//! `ExportTraceServiceRequest` to `{endpoint}/v1/traces`, in protobuf or
//! JSON, from the tracer's exporter thread.

use std::time::Duration;

use prost::Message;
use tracekit_runtime::export::{ExportError, Exporter};
use tracekit_runtime::{Resource, SpanRecord};

use crate::config::{
    self, ConfigError, DEFAULT_ENDPOINT, DEFAULT_TIMEOUT, Protocol, parse_compression,
    parse_headers, parse_timeout,
};
use tracekit_transport::{Compression, Retry, Sender, SenderConfig};

use crate::proto::collector::ExportTraceServiceResponse;
use crate::{encode, json, wire};

/// Sends finished spans to an OTLP/HTTP endpoint: an OpenTelemetry
/// Collector, Jaeger, Grafana Tempo, or any backend that takes OTLP.
///
/// ```no_run
/// use tracekit_otlp::OtlpExporter;
///
/// let exporter = OtlpExporter::builder()
///     .endpoint("http://collector:4318")
///     .header("x-team", "payments")
///     .build()
///     .expect("a valid configuration");
/// let _guard = tracekit_runtime::Tracer::builder()
///     .service_name("shop")
///     .exporter(exporter)
///     .install();
/// ```
pub struct OtlpExporter {
    transport: Transport,
    protocol: Protocol,
    resource: Resource,
    /// The encoded request (reused from batch to batch).
    body: Vec<u8>,
}

impl OtlpExporter {
    /// Starts configuring an exporter (defaults: `http://localhost:4318`,
    /// `http/protobuf`, a 10 s timeout).
    pub fn builder() -> OtlpBuilder {
        OtlpBuilder::default()
    }

    /// The URL batches are sent to.
    pub fn url(&self) -> &str {
        match &self.transport {
            Transport::Http(sender) => sender.url(),
            #[cfg(feature = "grpc")]
            Transport::Grpc(sender) => sender.url(),
        }
    }
}

/// Encodes the request that exports `batch` into `body`.
fn encode_body(body: &mut Vec<u8>, resource: &Resource, protocol: Protocol, batch: &[SpanRecord]) {
    body.clear();
    match protocol {
        Protocol::HttpProtobuf | Protocol::Grpc => wire::write_request(resource, batch, body),
        Protocol::HttpJson => {
            let request = encode::request(resource, batch);
            serde_json::to_writer(body, &json::to_json(&request)).expect("JSON values serialize");
        }
    }
}

impl Exporter for OtlpExporter {
    fn export(&mut self, batch: &[SpanRecord]) -> Result<(), ExportError> {
        match &mut self.transport {
            Transport::Http(sender) => {
                encode_body(&mut self.body, &self.resource, self.protocol, batch);
                let answer = sender.post(&self.body, self.protocol.content_type())?;
                partial_success(self.protocol, &answer)
            }
            #[cfg(feature = "grpc")]
            Transport::Grpc(sender) => {
                // The same bytes as OTLP/HTTP's protobuf body.
                encode_body(&mut self.body, &self.resource, self.protocol, batch);
                let response = sender.export(bytes::Bytes::copy_from_slice(&self.body))?;
                rejected(response)
            }
        }
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource = resource.clone();
    }
}

/// How batches travel.
enum Transport {
    Http(Sender),
    #[cfg(feature = "grpc")]
    Grpc(Box<crate::grpc::GrpcSender>),
}

/// The spans a response's `partial_success` says were refused, if any.
fn rejected(response: ExportTraceServiceResponse) -> Result<(), ExportError> {
    let (rejected, message) = response
        .partial_success
        .map(|p| (p.rejected_spans, p.error_message))
        .unwrap_or_default();
    match u64::try_from(rejected) {
        Ok(spans) if spans > 0 => Err(ExportError::Rejected {
            spans,
            reason: message,
        }),
        _ => Ok(()),
    }
}

/// Reads the `partial_success` of an accepted request: the spans the
/// backend refused, if any. A body that cannot be read is taken as full
/// success (the backend said 2xx).
fn partial_success(protocol: Protocol, body: &[u8]) -> Result<(), ExportError> {
    let (rejected, message) = match protocol {
        // gRPC answers come decoded, through `rejected`.
        Protocol::HttpProtobuf | Protocol::Grpc => match ExportTraceServiceResponse::decode(body) {
            Ok(response) => return self::rejected(response),
            Err(_) => (0, String::new()),
        },
        Protocol::HttpJson => {
            let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
            let partial = &value["partialSuccess"];
            let rejected = match &partial["rejectedSpans"] {
                serde_json::Value::String(text) => text.parse().unwrap_or(0),
                number => number.as_i64().unwrap_or(0),
            };
            let message = partial["errorMessage"].as_str().unwrap_or_default();
            (rejected, message.to_owned())
        }
    };
    match u64::try_from(rejected) {
        Ok(spans) if spans > 0 => Err(ExportError::Rejected {
            spans,
            reason: message,
        }),
        _ => Ok(()),
    }
}

/// Where batches go, as configured.
#[derive(Clone, Debug)]
enum Url {
    /// `http://localhost:4318` over HTTP, `http://localhost:4317` over gRPC.
    Default,
    /// A base endpoint: `/v1/traces` is appended over HTTP.
    Base(String),
    /// A URL used as is.
    Full(String),
}

impl Url {
    fn resolve(self, protocol: Protocol) -> String {
        let grpc = protocol == Protocol::Grpc;
        match self {
            Url::Default if grpc => config::DEFAULT_GRPC_ENDPOINT.to_owned(),
            Url::Default => config::traces_url(DEFAULT_ENDPOINT),
            Url::Base(base) if grpc => base,
            Url::Base(base) => config::traces_url(&base),
            Url::Full(url) => url,
        }
    }
}

/// Configures an [`OtlpExporter`].
#[derive(Clone)]
pub struct OtlpBuilder {
    url: Url,
    retry: Retry,
    protocol: Protocol,
    compression: Compression,
    headers: Vec<(String, String)>,
    timeout: Duration,
}

impl std::fmt::Debug for OtlpBuilder {
    /// Header values are left out: they often hold credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("OtlpBuilder")
            .field("url", &self.url)
            .field("protocol", &self.protocol)
            .field("compression", &self.compression)
            .field("header_names", &header_names)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish()
    }
}

impl Default for OtlpBuilder {
    fn default() -> OtlpBuilder {
        OtlpBuilder {
            url: Url::Default,
            retry: Retry::default(),
            protocol: Protocol::default(),
            compression: Compression::default(),
            headers: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

impl OtlpBuilder {
    /// A builder configured from the standard variables:
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (the URL, used as is) or else
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` (a base, `/v1/traces` appended),
    /// `OTEL_EXPORTER_OTLP_HEADERS` / `_TRACES_HEADERS` (`k=v,k2=v2`,
    /// values percent-encoded), `OTEL_EXPORTER_OTLP_TIMEOUT` /
    /// `_TRACES_TIMEOUT` (milliseconds), `OTEL_EXPORTER_OTLP_PROTOCOL` /
    /// `_TRACES_PROTOCOL` (`http/protobuf`, `http/json`),
    /// `OTEL_EXPORTER_OTLP_COMPRESSION` / `_TRACES_COMPRESSION` (`gzip`,
    /// `none`). The first variable that cannot be used is the error;
    /// nothing is half applied.
    pub fn from_env() -> Result<OtlpBuilder, ConfigError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let either = |traces: &str, all: &str| var(traces).or_else(|| var(all));
        let mut builder = OtlpBuilder::default();
        if let Some(url) = var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
            builder.url = Url::Full(url.trim().to_owned());
        } else if let Some(base) = var("OTEL_EXPORTER_OTLP_ENDPOINT") {
            builder.url = Url::Base(base.trim().to_owned());
        }
        if let Some(list) = either(
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
            "OTEL_EXPORTER_OTLP_HEADERS",
        ) {
            builder.headers = parse_headers(&list)?;
        }
        if let Some(millis) = either(
            "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
            "OTEL_EXPORTER_OTLP_TIMEOUT",
        ) {
            builder.timeout = parse_timeout(&millis)?;
        }
        if let Some(name) = either(
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
            "OTEL_EXPORTER_OTLP_PROTOCOL",
        ) {
            builder.protocol = Protocol::from_name(&name)?;
        }
        if let Some(name) = either(
            "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
            "OTEL_EXPORTER_OTLP_COMPRESSION",
        ) {
            builder.compression = parse_compression(&name)?;
        }
        Ok(builder)
    }

    /// The base endpoint: over HTTP, batches go to `{endpoint}/v1/traces`;
    /// over gRPC, to the endpoint itself.
    pub fn endpoint(mut self, endpoint: &str) -> Self {
        self.url = Url::Base(endpoint.trim().to_owned());
        self
    }

    /// The full URL batches are sent to, used as is.
    pub fn traces_url(mut self, url: impl Into<String>) -> Self {
        self.url = Url::Full(url.into());
        self
    }

    /// The encoding (default `http/protobuf`).
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = protocol;
        self
    }

    /// Whether bodies are compressed (default: not).
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Adds a header sent with every request (an API key, a tenant).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// How failed exports are tried again (default [`Retry::default`]).
    pub fn retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// How long one try may take, connection included (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The exporter; an error names the setting that cannot be used.
    pub fn build(self) -> Result<OtlpExporter, ConfigError> {
        let url = self.url.resolve(self.protocol);
        let transport = match self.protocol {
            Protocol::HttpProtobuf | Protocol::HttpJson => Transport::Http(
                SenderConfig {
                    url,
                    headers: self.headers,
                    timeout: self.timeout,
                    retry: self.retry,
                    compression: self.compression,
                }
                .build()?,
            ),
            #[cfg(feature = "grpc")]
            Protocol::Grpc => Transport::Grpc(Box::new(crate::grpc::GrpcSender::new(
                url,
                &self.headers,
                self.timeout,
                self.retry,
                self.compression,
            )?)),
            #[cfg(not(feature = "grpc"))]
            Protocol::Grpc => {
                return Err(ConfigError::new(
                    "protocol",
                    "grpc needs the `grpc` feature of tracekit-otlp",
                ));
            }
        };
        Ok(OtlpExporter {
            transport,
            protocol: self.protocol,
            resource: Resource::new("unknown_service"),
            body: Vec::new(),
        })
    }
}
