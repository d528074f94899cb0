//! Zipkin export for tracekit: each batch is one `POST` of Zipkin v2 JSON
//! to `/api/v2/spans` (Zipkin, or the backends that take its format:
//! Jaeger, Grafana Tempo, the OpenTelemetry Collector's Zipkin receiver).
//!
//! ```no_run
//! use tracekit_zipkin::ZipkinExporter;
//!
//! let exporter = ZipkinExporter::builder()
//!     .endpoint("http://zipkin:9411/api/v2/spans")
//!     .build()
//!     .expect("a valid configuration");
//! let _guard = tracekit_runtime::Tracer::builder()
//!     .service_name("shop")
//!     .exporter(exporter)
//!     .install();
//! ```

mod encode;

use std::time::Duration;

use tracekit_runtime::export::{ExportError, Exporter};
use tracekit_runtime::{Resource, SpanRecord};
pub use tracekit_transport::ConfigError;
use tracekit_transport::{Compression, Retry, Sender, SenderConfig, parse_millis};

pub use encode::to_json;

/// Where spans go by default: a Zipkin on this machine.
pub const DEFAULT_ENDPOINT: &str = "http://localhost:9411/api/v2/spans";

/// Sends finished spans to a Zipkin v2 endpoint.
pub struct ZipkinExporter {
    sender: Sender,
    service_name: String,
    body: Vec<u8>,
}

impl ZipkinExporter {
    /// Starts configuring an exporter (defaults: [`DEFAULT_ENDPOINT`], a
    /// 10 s timeout, [`Retry::default`]).
    pub fn builder() -> ZipkinBuilder {
        ZipkinBuilder::default()
    }

    /// The URL batches are posted to.
    pub fn url(&self) -> &str {
        self.sender.url()
    }
}

impl Exporter for ZipkinExporter {
    fn export(&mut self, batch: &[SpanRecord]) -> Result<(), ExportError> {
        self.body.clear();
        serde_json::to_writer(&mut self.body, &to_json(batch, &self.service_name))
            .map_err(std::io::Error::from)?;
        self.sender.post(&self.body, "application/json")?;
        Ok(())
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.service_name = resource.service_name().to_owned();
    }
}

/// Configures a [`ZipkinExporter`].
#[derive(Clone, Debug)]
pub struct ZipkinBuilder {
    url: String,
    timeout: Duration,
    retry: Retry,
}

impl Default for ZipkinBuilder {
    fn default() -> ZipkinBuilder {
        ZipkinBuilder {
            url: DEFAULT_ENDPOINT.to_owned(),
            timeout: Duration::from_secs(10),
            retry: Retry::default(),
        }
    }
}

impl ZipkinBuilder {
    /// A builder configured from `OTEL_EXPORTER_ZIPKIN_ENDPOINT` (the URL,
    /// used as is) and `OTEL_EXPORTER_ZIPKIN_TIMEOUT` (milliseconds); a
    /// value that cannot be used is the error, naming its variable.
    pub fn from_env() -> Result<ZipkinBuilder, ConfigError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let mut builder = ZipkinBuilder::default();
        if let Some(url) = var("OTEL_EXPORTER_ZIPKIN_ENDPOINT") {
            builder.url = url.trim().to_owned();
        }
        if let Some(millis) = var("OTEL_EXPORTER_ZIPKIN_TIMEOUT") {
            builder.timeout = parse_millis("OTEL_EXPORTER_ZIPKIN_TIMEOUT", &millis)?;
        }
        Ok(builder)
    }

    /// The URL batches are posted to (`.../api/v2/spans`).
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.url = url.into();
        self
    }

    /// How long one try may take, connection included (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How failed exports are tried again.
    pub fn retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// The exporter; an error names the setting that cannot be used.
    pub fn build(self) -> Result<ZipkinExporter, ConfigError> {
        let sender = SenderConfig {
            url: self.url,
            headers: Vec::new(),
            timeout: self.timeout,
            retry: self.retry,
            compression: Compression::None,
        }
        .build()?;
        Ok(ZipkinExporter {
            sender,
            service_name: "unknown_service".to_owned(),
            body: Vec::new(),
        })
    }
}
