//! What tracekit's HTTP exporters (OTLP, Zipkin) share: a [`Sender`] posts
//! an encoded batch from the exporter thread, gzipped if asked, tries
//! again after a failure that may pass ([`Retry`]), and tells the
//! exporter what the backend answered.

mod retry;

use std::io::Write;
use std::time::Duration;

use tracekit_runtime::export::ExportError;

use retry::retry_after;
pub use retry::{Backoff, Retry};

/// Whether request bodies are compressed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Compression {
    /// Sent as encoded (the default).
    #[default]
    None,
    /// gzip, with `Content-Encoding: gzip`.
    Gzip,
}

/// Where and how a [`Sender`] posts.
#[derive(Clone)]
pub struct SenderConfig {
    /// The URL bodies are posted to.
    pub url: String,
    /// Headers sent with every request.
    pub headers: Vec<(String, String)>,
    /// How long one try may take, connection included.
    pub timeout: Duration,
    /// How failed posts are tried again.
    pub retry: Retry,
    /// Whether bodies are gzipped.
    pub compression: Compression,
}

impl std::fmt::Debug for SenderConfig {
    /// Header values are left out: they often hold credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("SenderConfig")
            .field("url", &self.url)
            .field("header_names", &header_names)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("compression", &self.compression)
            .finish()
    }
}

/// A setting an exporter cannot use: the variable or setting it came
/// from (`OTEL_EXPORTER_OTLP_TIMEOUT`, `endpoint`, `header`, ...), and what
/// is wrong with it and what is accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The variable (or builder setting) that held it.
    pub source: &'static str,
    /// What is wrong, and what is accepted.
    pub reason: String,
}

impl ConfigError {
    /// The error of `source`.
    pub fn new(source: &'static str, reason: impl Into<String>) -> ConfigError {
        ConfigError {
            source,
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.source, self.reason)
    }
}

impl std::error::Error for ConfigError {}

/// Reads a timeout variable's value (`source`): milliseconds.
///
/// ```
/// use std::time::Duration;
/// use tracekit_transport::parse_millis;
///
/// assert_eq!(parse_millis("T", " 2500 "), Ok(Duration::from_millis(2500)));
/// assert_eq!(parse_millis("T", "10s").unwrap_err().source, "T");
/// ```
pub fn parse_millis(source: &'static str, millis: &str) -> Result<Duration, ConfigError> {
    millis
        .trim()
        .parse::<u64>()
        .map(Duration::from_millis)
        .map_err(|_| {
            ConfigError::new(
                source,
                format!("{millis:?} is not a number of milliseconds"),
            )
        })
}

impl SenderConfig {
    /// The sender, once the URL and the headers are known to be usable.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tracekit_transport::{Compression, Retry, SenderConfig};
    ///
    /// let config = SenderConfig {
    ///     url: "ftp://collector".into(),
    ///     headers: Vec::new(),
    ///     timeout: Duration::from_secs(10),
    ///     retry: Retry::default(),
    ///     compression: Compression::None,
    /// };
    /// assert_eq!(config.build().err().unwrap().source, "endpoint");
    /// ```
    pub fn build(self) -> Result<Sender, ConfigError> {
        let unusable = |setting, reason| Err(ConfigError::new(setting, reason));
        match self.url.split("://").next().unwrap_or_default() {
            "http" => {}
            "https" if cfg!(feature = "tls") => {}
            "https" => {
                return unusable(
                    "endpoint",
                    format!(
                        "{} needs TLS: enable the exporter's `tls` feature",
                        self.url
                    ),
                );
            }
            _ => {
                return unusable(
                    "endpoint",
                    format!("{:?} is not an http:// or https:// URL", self.url),
                );
            }
        }
        for (name, value) in &self.headers {
            let valid = ureq::http::HeaderName::from_bytes(name.as_bytes()).is_ok()
                && ureq::http::HeaderValue::from_str(value).is_ok();
            if !valid {
                return unusable(
                    "header",
                    format!("{name:?} cannot be sent as an HTTP header"),
                );
            }
        }
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(self.timeout))
            // Statuses are read here, not turned into errors.
            .http_status_as_error(false)
            .build()
            .into();
        Ok(Sender {
            config: self,
            agent,
            compressed: Vec::new(),
        })
    }
}

/// Posts encoded batches to one URL.
pub struct Sender {
    config: SenderConfig,
    agent: ureq::Agent,
    /// The gzip of the last body (reused from batch to batch).
    compressed: Vec<u8>,
}

impl Sender {
    /// The URL bodies are posted to.
    pub fn url(&self) -> &str {
        &self.config.url
    }

    /// Posts `body` as `content_type`, trying again after a failure that
    /// may pass (no answer; HTTP 429, 502, 503, 504) as the retry policy
    /// allows; returns the body of the 2xx answer. Any other status is an
    /// error at once.
    pub fn post(&mut self, body: &[u8], content_type: &str) -> Result<Vec<u8>, ExportError> {
        let payload = match self.config.compression {
            Compression::None => body,
            Compression::Gzip => {
                self.compressed.clear();
                let mut gzip = flate2::write::GzEncoder::new(
                    std::mem::take(&mut self.compressed),
                    flate2::Compression::fast(),
                );
                gzip.write_all(body)?;
                self.compressed = gzip.finish()?;
                &self.compressed
            }
        };
        let mut backoff = Backoff::new(self.config.retry);
        loop {
            match self.post_once(payload, content_type) {
                Attempt::Done(result) => return result,
                Attempt::Again { error, asked } => match backoff.next_wait(asked) {
                    Some(wait) => std::thread::sleep(wait),
                    None => return Err(error),
                },
            }
        }
    }

    fn post_once(&self, payload: &[u8], content_type: &str) -> Attempt {
        let mut request = self
            .agent
            .post(&self.config.url)
            .header("content-type", content_type);
        if self.config.compression == Compression::Gzip {
            request = request.header("content-encoding", "gzip");
        }
        for (name, value) in &self.config.headers {
            request = request.header(name, value);
        }
        let mut response = match request.send(payload) {
            Ok(response) => response,
            Err(err) if passes(&err) => {
                return Attempt::Again {
                    error: transport_error(err),
                    asked: None,
                };
            }
            Err(err) => return Attempt::Done(Err(transport_error(err))),
        };
        let status = response.status();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BODY)
            .read_to_vec()
            .unwrap_or_default();
        if status.is_success() {
            return Attempt::Done(Ok(body));
        }
        let error = ExportError::Backend(format!(
            "{} answered {status}: {}",
            self.config.url,
            String::from_utf8_lossy(&body[..body.len().min(1024)]).trim()
        ));
        match status.as_u16() {
            429 | 502 | 503 | 504 => Attempt::Again {
                error,
                asked: response
                    .headers()
                    .get("retry-after")
                    .and_then(|value| value.to_str().ok())
                    .and_then(retry_after),
            },
            _ => Attempt::Done(Err(error)),
        }
    }
}

/// How one try ended.
enum Attempt {
    /// Delivered (the answer's body), or failed for good.
    Done(Result<Vec<u8>, ExportError>),
    /// Failed for a reason that may pass; `asked`: the wait the backend
    /// asked for (`Retry-After`).
    Again {
        error: ExportError,
        asked: Option<Duration>,
    },
}

/// The most of a response body read.
const MAX_RESPONSE_BODY: u64 = 64 * 1024;

/// Whether a request that got no answer may get one later: refused,
/// reset, timed out, a name that did not resolve (yet).
fn passes(err: &ureq::Error) -> bool {
    matches!(
        err,
        ureq::Error::Io(_)
            | ureq::Error::Timeout(_)
            | ureq::Error::HostNotFound
            | ureq::Error::ConnectionFailed
    )
}

/// A request that got no answer.
fn transport_error(err: ureq::Error) -> ExportError {
    match err {
        ureq::Error::Io(io) => ExportError::Io(io),
        other => ExportError::Backend(other.to_string()),
    }
}
