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
    sender: Sender,
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

    /// The URL batches are posted to.
    pub fn url(&self) -> &str {
        self.sender.url()
    }

    /// Encodes the request that exports `batch` into `body`.
    fn encode(&mut self, batch: &[SpanRecord]) {
        self.body.clear();
        match self.protocol {
            Protocol::HttpProtobuf => wire::write_request(&self.resource, batch, &mut self.body),
            Protocol::HttpJson => {
                let request = encode::request(&self.resource, batch);
                serde_json::to_writer(&mut self.body, &json::to_json(&request))
                    .expect("JSON values serialize");
            }
        }
    }
}

impl Exporter for OtlpExporter {
    fn export(&mut self, batch: &[SpanRecord]) -> Result<(), ExportError> {
        self.encode(batch);
        let answer = self.sender.post(&self.body, self.protocol.content_type())?;
        partial_success(self.protocol, &answer)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource = resource.clone();
    }
}

/// Reads the `partial_success` of an accepted request: the spans the
/// backend refused, if any. A body that cannot be read is taken as full
/// success (the backend said 2xx).
fn partial_success(protocol: Protocol, body: &[u8]) -> Result<(), ExportError> {
    let (rejected, message) = match protocol {
        Protocol::HttpProtobuf => match ExportTraceServiceResponse::decode(body) {
            Ok(response) => response
                .partial_success
                .map(|p| (p.rejected_spans, p.error_message))
                .unwrap_or_default(),
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

/// Configures an [`OtlpExporter`].
#[derive(Clone)]
pub struct OtlpBuilder {
    url: String,
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
            url: config::traces_url(DEFAULT_ENDPOINT),
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
            builder.url = url.trim().to_owned();
        } else if let Some(base) = var("OTEL_EXPORTER_OTLP_ENDPOINT") {
            builder.url = config::traces_url(&base);
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

    /// The base endpoint: batches go to `{endpoint}/v1/traces`.
    pub fn endpoint(mut self, endpoint: &str) -> Self {
        self.url = config::traces_url(endpoint);
        self
    }

    /// The full URL batches are posted to, used as is.
    pub fn traces_url(mut self, url: impl Into<String>) -> Self {
        self.url = url.into();
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
        let sender = SenderConfig {
            url: self.url,
            headers: self.headers,
            timeout: self.timeout,
            retry: self.retry,
            compression: self.compression,
        }
        .build()
        .map_err(|unusable| ConfigError::new(unusable.setting, unusable.reason))?;
        Ok(OtlpExporter {
            sender,
            protocol: self.protocol,
            resource: Resource::new("unknown_service"),
            body: Vec::new(),
        })
    }
}
