//! OTLP/HTTP trace requests, protobuf or JSON, as the viewer's spans. A
//! request that is not one is refused whole, with the reason.

mod json;
mod protobuf;
mod wire;

pub use json::decode_json;
pub use protobuf::decode_protobuf;

use crate::model::hex;

/// Why a request was refused.
#[derive(Debug, PartialEq)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The service of a process that named none, as OpenTelemetry says.
pub(crate) const UNKNOWN_SERVICE: &str = "unknown_service";

/// An id's bytes as hex, refused if they are not `len` bytes or all zero.
fn id(bytes: &[u8], len: usize, what: &str) -> Result<String, Refused> {
    if bytes.len() == len && bytes.iter().any(|byte| *byte != 0) {
        Ok(hex(bytes))
    } else {
        Err(Refused(format!(
            "a span's {what} is not {len} bytes, not all zero"
        )))
    }
}

fn nanos(unix_nanos: u64) -> i64 {
    i64::try_from(unix_nanos).unwrap_or(i64::MAX)
}

/// The name of OTLP's `SpanKind` number.
fn kind_name(kind: i32) -> &'static str {
    match kind {
        2 => "server",
        3 => "client",
        4 => "producer",
        5 => "consumer",
        _ => "internal",
    }
}
