//! Where and how the OTLP exporter sends: set in code
//! ([`OtlpBuilder`](crate::OtlpBuilder)) or read from the standard
//! `OTEL_EXPORTER_OTLP_*` variables.

use std::time::Duration;

use tracekit_runtime::resource::parse_member;
pub use tracekit_transport::ConfigError;
use tracekit_transport::{Compression, parse_millis};

/// The default endpoint: an OpenTelemetry Collector on this machine.
pub const DEFAULT_ENDPOINT: &str = "http://localhost:4318";

/// The default endpoint over gRPC.
pub const DEFAULT_GRPC_ENDPOINT: &str = "http://localhost:4317";

/// How long one export may take by default (the OpenTelemetry default).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The OTLP encodings over HTTP.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Protocol {
    /// `http/protobuf` (`application/x-protobuf`): the default, as the
    /// OpenTelemetry specification says.
    #[default]
    HttpProtobuf,
    /// `http/json` (`application/json`): OTLP's JSON mapping.
    HttpJson,
    /// `grpc`: the `TraceService/Export` call (feature `grpc`; default
    /// endpoint `http://localhost:4317`).
    Grpc,
}

impl Protocol {
    /// The name `OTEL_EXPORTER_OTLP_PROTOCOL` uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::HttpProtobuf => "http/protobuf",
            Protocol::HttpJson => "http/json",
            Protocol::Grpc => "grpc",
        }
    }

    /// The body's `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            Protocol::HttpProtobuf => "application/x-protobuf",
            Protocol::HttpJson => "application/json",
            Protocol::Grpc => "application/grpc",
        }
    }

    /// Reads an `OTEL_EXPORTER_OTLP_PROTOCOL` value.
    ///
    /// ```
    /// use tracekit_otlp::Protocol;
    ///
    /// assert_eq!(Protocol::from_name(" http/json "), Ok(Protocol::HttpJson));
    /// assert_eq!(Protocol::from_name("grpc"), Ok(Protocol::Grpc));
    /// assert!(Protocol::from_name("carrier-pigeon").is_err());
    /// ```
    pub fn from_name(name: &str) -> Result<Protocol, ConfigError> {
        match name.trim() {
            "http/protobuf" => Ok(Protocol::HttpProtobuf),
            "http/json" => Ok(Protocol::HttpJson),
            "grpc" => Ok(Protocol::Grpc),
            other => Err(ConfigError::new(
                "OTEL_EXPORTER_OTLP_PROTOCOL",
                format!("{other:?} is not supported (http/protobuf, http/json, grpc)"),
            )),
        }
    }
}

/// Reads an `OTEL_EXPORTER_OTLP_COMPRESSION` value (`gzip` or `none`).
///
/// ```
/// use tracekit_otlp::Compression;
/// use tracekit_otlp::config::parse_compression;
///
/// assert_eq!(parse_compression("gzip"), Ok(Compression::Gzip));
/// assert!(parse_compression("zstd").is_err());
/// ```
pub fn parse_compression(name: &str) -> Result<Compression, ConfigError> {
    match name.trim() {
        "gzip" => Ok(Compression::Gzip),
        "none" => Ok(Compression::None),
        other => Err(ConfigError::new(
            "OTEL_EXPORTER_OTLP_COMPRESSION",
            format!("{other:?} is not supported (gzip, none)"),
        )),
    }
}

/// The traces URL of a base endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`):
/// `/v1/traces` appended to its path.
///
/// ```
/// use tracekit_otlp::config::traces_url;
///
/// assert_eq!(traces_url("http://collector:4318"), "http://collector:4318/v1/traces");
/// assert_eq!(traces_url("http://gateway/otlp/"), "http://gateway/otlp/v1/traces");
/// ```
pub fn traces_url(base: &str) -> String {
    format!("{}/v1/traces", base.trim().trim_end_matches('/'))
}

/// Reads an `OTEL_EXPORTER_OTLP_HEADERS` value, `k=v,k2=v2`, values
/// percent-encoded. A member that cannot be read (no `=`, a key that is
/// not an HTTP token, a bad escape, a control character) is an error
/// naming it; the whole value is then refused, as a header list half
/// applied would send credentials to the wrong place.
///
/// ```
/// use tracekit_otlp::config::parse_headers;
///
/// let headers = parse_headers("api-key=s%3Dcret, x-team = payments").unwrap();
/// assert_eq!(headers[0], ("api-key".to_owned(), "s=cret".to_owned()));
/// assert!(parse_headers("no-equals-sign").is_err());
/// ```
pub fn parse_headers(list: &str) -> Result<Vec<(String, String)>, ConfigError> {
    let mut headers = Vec::new();
    for member in list.split(',').filter(|m| !m.trim().is_empty()) {
        let refuse = |why: &str| {
            ConfigError::new(
                "OTEL_EXPORTER_OTLP_HEADERS",
                format!("{:?}: {why}", member.trim()),
            )
        };
        let (key, value) = parse_member(member).map_err(refuse)?;
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(refuse("a control character in the value"));
        }
        headers.push((key, value));
    }
    Ok(headers)
}

/// Reads an `OTEL_EXPORTER_OTLP_TIMEOUT` value: milliseconds.
pub fn parse_timeout(millis: &str) -> Result<Duration, ConfigError> {
    parse_millis("OTEL_EXPORTER_OTLP_TIMEOUT", millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_header_member_refuses_the_whole_list_and_names_it() {
        for (list, member) in [
            ("a=1,b", "\"b\""),
            ("a b=1", "\"a b=1\""),
            ("a=%zz", "\"a=%zz\""),
            ("a=%0A", "\"a=%0A\""),
        ] {
            let err = parse_headers(list).unwrap_err();
            assert_eq!(err.source, "OTEL_EXPORTER_OTLP_HEADERS");
            assert!(err.reason.starts_with(member), "{list}: {err}");
        }
        assert_eq!(parse_headers(" , ,").unwrap(), []);
    }

    #[test]
    fn a_timeout_is_in_milliseconds() {
        assert_eq!(parse_timeout(" 2500 "), Ok(Duration::from_millis(2500)));
        assert!(parse_timeout("10s").is_err());
        assert!(parse_timeout("-1").is_err());
    }
}
